"""The official OpenAI and Anthropic Python SDKs against the gateway, unchanged.

Only ``base_url`` and ``api_key`` differ from talking to the providers directly. The gateway
runs ``tests/conformance/plano.yaml`` with its providers at the mock (``tests/sdk/run`` starts
both). Every request carries ``x-mock-tag`` (through the SDKs' ``extra_headers``) so a test
can read what the upstream received from the mock.

Environment: ``PLANO_GATEWAY_URL`` and ``PLANO_MOCK_URL`` (``http://127.0.0.1:PORT``).
"""

import itertools
import json
import os
import unittest
import urllib.request
import warnings

import anthropic
import openai

GATEWAY = os.environ["PLANO_GATEWAY_URL"].rstrip("/")
MOCK = os.environ["PLANO_MOCK_URL"].rstrip("/")

OPENAI_MODEL = "gpt-4o-mini"  # openai/gpt-4o-mini at the mock
ANTHROPIC_MODEL = "claude-sonnet-4-5"  # anthropic/claude-sonnet-4-5 at the mock

_counter = itertools.count()


def tag():
    """A fresh x-mock-tag value."""
    return f"sdk-{os.getpid()}-{next(_counter)}"


def upstream(tag_value):
    """The requests the mock received with this tag, oldest first."""
    with urllib.request.urlopen(f"{MOCK}/__mock/requests?tag={tag_value}") as r:
        return json.load(r)


def headers(tag_value):
    return {"x-mock-tag": tag_value}


WEATHER_OPENAI = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a location",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}

WEATHER_ANTHROPIC = {
    "name": "get_weather",
    "description": "Current weather for a location",
    "input_schema": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}


# The mock's model names are real ones the SDK may call deprecated; that is not under test.
warnings.filterwarnings("ignore", message="The model .* is deprecated")

# One client per SDK, as applications hold them. The keys are the client's own; the gateway
# sends each provider's configured key upstream.
_OPENAI = openai.OpenAI(base_url=f"{GATEWAY}/v1", api_key="sk-client-key", max_retries=0)
_ANTHROPIC = anthropic.Anthropic(base_url=GATEWAY, api_key="sk-ant-client-key", max_retries=0)


def openai_client():
    return _OPENAI


def anthropic_client():
    return _ANTHROPIC


def tearDownModule():
    _OPENAI.close()
    _ANTHROPIC.close()


class OpenAISdk(unittest.TestCase):
    def test_chat(self):
        t = tag()
        r = openai_client().chat.completions.create(
            model=OPENAI_MODEL,
            messages=[{"role": "user", "content": "Say hello"}],
            extra_headers=headers(t),
        )
        self.assertTrue(r.choices[0].message.content)
        self.assertEqual(r.choices[0].finish_reason, "stop")
        self.assertGreater(r.usage.prompt_tokens, 0)
        self.assertGreater(r.usage.completion_tokens, 0)
        seen = upstream(t)
        self.assertEqual(len(seen), 1)
        self.assertEqual(seen[0]["path"], "/v1/chat/completions")
        auth = dict((k.lower(), v) for k, v in seen[0]["headers"])["authorization"]
        self.assertEqual(auth, "Bearer sk-mock-openai", "the provider's key, not the client's")

    def test_chat_stream(self):
        stream = openai_client().chat.completions.create(
            model=OPENAI_MODEL,
            messages=[{"role": "user", "content": "Say hello"}],
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=headers(tag()),
        )
        text, finish, usage = "", None, None
        for chunk in stream:
            for c in chunk.choices:
                text += c.delta.content or ""
                finish = c.finish_reason or finish
            usage = chunk.usage or usage
        self.assertTrue(text)
        self.assertEqual(finish, "stop")
        self.assertIsNotNone(usage)
        self.assertGreater(usage.completion_tokens, 0)

    def test_chat_tools(self):
        r = openai_client().chat.completions.create(
            model=OPENAI_MODEL,
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            tools=[WEATHER_OPENAI],
            extra_headers=headers(tag()),
        )
        calls = r.choices[0].message.tool_calls
        self.assertTrue(calls)
        self.assertTrue(calls[0].function.name)
        self.assertIsInstance(json.loads(calls[0].function.arguments), dict)
        self.assertEqual(r.choices[0].finish_reason, "tool_calls")

    def test_chat_tools_stream(self):
        stream = openai_client().chat.completions.create(
            model=OPENAI_MODEL,
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            tools=[WEATHER_OPENAI],
            stream=True,
            extra_headers=headers(tag()),
        )
        calls = {}
        finish = None
        for chunk in stream:
            for c in chunk.choices:
                finish = c.finish_reason or finish
                for tc in c.delta.tool_calls or []:
                    entry = calls.setdefault(tc.index, {"name": "", "arguments": ""})
                    if tc.function and tc.function.name:
                        entry["name"] += tc.function.name
                    if tc.function and tc.function.arguments:
                        entry["arguments"] += tc.function.arguments
        self.assertTrue(calls)
        for call in calls.values():
            self.assertTrue(call["name"])
            self.assertIsInstance(json.loads(call["arguments"] or "{}"), dict)
        self.assertEqual(finish, "tool_calls")

    def test_chat_against_anthropic_upstream(self):
        t = tag()
        r = openai_client().chat.completions.create(
            model=ANTHROPIC_MODEL,
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Say hello"},
            ],
            max_tokens=256,
            extra_headers=headers(t),
        )
        self.assertTrue(r.choices[0].message.content)
        self.assertEqual(r.choices[0].finish_reason, "stop")
        seen = upstream(t)
        self.assertEqual(seen[0]["path"], "/v1/messages")
        self.assertEqual(seen[0]["body"]["model"], ANTHROPIC_MODEL)

    def test_chat_stream_against_anthropic_upstream(self):
        stream = openai_client().chat.completions.create(
            model=ANTHROPIC_MODEL,
            messages=[{"role": "user", "content": "Say hello"}],
            max_tokens=256,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=headers(tag()),
        )
        text, finish, usage = "", None, None
        for chunk in stream:
            for c in chunk.choices:
                text += c.delta.content or ""
                finish = c.finish_reason or finish
            usage = chunk.usage or usage
        self.assertTrue(text)
        self.assertEqual(finish, "stop")
        self.assertIsNotNone(usage)

    def test_chat_tools_against_anthropic_upstream(self):
        r = openai_client().chat.completions.create(
            model=ANTHROPIC_MODEL,
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            tools=[WEATHER_OPENAI],
            max_tokens=256,
            extra_headers=headers(tag()),
        )
        calls = r.choices[0].message.tool_calls
        self.assertTrue(calls)
        self.assertIsInstance(json.loads(calls[0].function.arguments), dict)
        self.assertEqual(r.choices[0].finish_reason, "tool_calls")

    def test_responses_previous_response_id_stateless_upstream(self):
        client = openai_client()
        t1 = tag()
        first = client.responses.create(
            model=ANTHROPIC_MODEL, input="My name is Ada.", extra_headers=headers(t1)
        )
        self.assertTrue(first.output_text)
        t2 = tag()
        second = client.responses.create(
            model=ANTHROPIC_MODEL,
            previous_response_id=first.id,
            input="What is my name?",
            extra_headers=headers(t2),
        )
        self.assertTrue(second.output_text)
        self.assertEqual(second.previous_response_id, first.id)
        body = upstream(t2)[0]["body"]
        roles = [m["role"] for m in body["messages"]]
        self.assertEqual(roles, ["user", "assistant", "user"], body["messages"])
        self.assertIn("My name is Ada.", json.dumps(body["messages"][0]))
        self.assertIn("What is my name?", json.dumps(body["messages"][2]))

    def test_responses_stream_then_retrieve(self):
        client = openai_client()
        events = list(
            client.responses.create(
                model=ANTHROPIC_MODEL,
                input="Say hello",
                stream=True,
                extra_headers=headers(tag()),
            )
        )
        self.assertEqual(events[0].type, "response.created")
        self.assertEqual(events[-1].type, "response.completed")
        final = events[-1].response
        text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
        self.assertTrue(text)
        self.assertEqual(final.output_text, text)
        got = client.responses.retrieve(final.id)
        self.assertEqual(got.id, final.id)

    def test_responses_against_openai_upstream(self):
        r = openai_client().responses.create(
            model=OPENAI_MODEL, input="Say hello", extra_headers=headers(tag())
        )
        self.assertEqual(r.status, "completed")
        self.assertTrue(r.output_text)

    def test_models_list(self):
        ids = [m.id for m in openai_client().models.list()]
        self.assertIn("openai/gpt-4o-mini", ids)
        self.assertIn("fast", ids)

    def test_upstream_auth_error_is_sdk_authentication_error(self):
        with self.assertRaises(openai.AuthenticationError) as ctx:
            openai_client().chat.completions.create(
                model="wrong-key",
                messages=[{"role": "user", "content": "Hello"}],
                extra_headers=headers(tag()),
            )
        self.assertNotIn("sk-wrong-conformance-7f3a9c0d1e2b4a6f", str(ctx.exception))

    def test_unknown_route_is_sdk_not_found(self):
        with self.assertRaises(openai.NotFoundError):
            openai_client().get("/no-such-endpoint", cast_to=object)


class AnthropicSdk(unittest.TestCase):
    def test_messages(self):
        t = tag()
        r = anthropic_client().messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=256,
            messages=[{"role": "user", "content": "Say hello"}],
            extra_headers=headers(t),
        )
        self.assertEqual(r.content[0].type, "text")
        self.assertTrue(r.content[0].text)
        self.assertEqual(r.stop_reason, "end_turn")
        seen = upstream(t)
        hdrs = dict((k.lower(), v) for k, v in seen[0]["headers"])
        self.assertEqual(hdrs["x-api-key"], "sk-ant-mock-anthropic")

    def test_messages_stream(self):
        with anthropic_client().messages.stream(
            model=ANTHROPIC_MODEL,
            max_tokens=256,
            messages=[{"role": "user", "content": "Say hello"}],
            extra_headers=headers(tag()),
        ) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        self.assertTrue(text)
        self.assertEqual(final.stop_reason, "end_turn")
        self.assertGreater(final.usage.output_tokens, 0)

    def test_messages_tools(self):
        r = anthropic_client().messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=256,
            tools=[WEATHER_ANTHROPIC],
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            extra_headers=headers(tag()),
        )
        uses = [b for b in r.content if b.type == "tool_use"]
        self.assertTrue(uses)
        self.assertIsInstance(uses[0].input, dict)
        self.assertEqual(r.stop_reason, "tool_use")

    def test_messages_against_openai_upstream(self):
        t = tag()
        r = anthropic_client().messages.create(
            model=OPENAI_MODEL,
            max_tokens=256,
            system="Be brief.",
            messages=[{"role": "user", "content": "Say hello"}],
            extra_headers=headers(t),
        )
        self.assertTrue(r.content[0].text)
        self.assertEqual(r.stop_reason, "end_turn")
        seen = upstream(t)
        self.assertEqual(seen[0]["path"], "/v1/chat/completions")
        self.assertEqual(seen[0]["body"]["model"], OPENAI_MODEL)

    def test_messages_stream_against_openai_upstream(self):
        with anthropic_client().messages.stream(
            model=OPENAI_MODEL,
            max_tokens=256,
            messages=[{"role": "user", "content": "Say hello"}],
            extra_headers=headers(tag()),
        ) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        self.assertTrue(text)
        self.assertEqual(final.stop_reason, "end_turn")

    def test_messages_tools_stream_against_openai_upstream(self):
        with anthropic_client().messages.stream(
            model=OPENAI_MODEL,
            max_tokens=256,
            tools=[WEATHER_ANTHROPIC],
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            extra_headers=headers(tag()),
        ) as stream:
            final = stream.get_final_message()
        uses = [b for b in final.content if b.type == "tool_use"]
        self.assertTrue(uses)
        self.assertIsInstance(uses[0].input, dict)
        self.assertEqual(final.stop_reason, "tool_use")

    def test_count_tokens(self):
        r = anthropic_client().messages.count_tokens(
            model=ANTHROPIC_MODEL,
            messages=[{"role": "user", "content": "How many tokens is this?"}],
        )
        self.assertGreater(r.input_tokens, 0)

    def test_models_list(self):
        ids = [m.id for m in anthropic_client().models.list()]
        self.assertIn("anthropic/claude-sonnet-4-5", ids)

    def test_upstream_auth_error_is_sdk_authentication_error(self):
        with self.assertRaises(anthropic.AuthenticationError):
            anthropic_client().messages.create(
                model="wrong-key",
                max_tokens=64,
                messages=[{"role": "user", "content": "Hello"}],
                extra_headers=headers(tag()),
            )


if __name__ == "__main__":
    unittest.main()
