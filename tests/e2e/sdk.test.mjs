// The official SDKs against a real nexus process (started by tests/integration/test_llm_sdk.py,
// which passes NEXUS_URL), with providers emulated by replaying recorded responses: each model
// name below maps to a recording (see that file's MODELS). What a recording says is read from
// the fixture itself, so the expectations are the provider's, not Nexus's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const base = process.env.NEXUS_URL;
const fixtures = process.env.NEXUS_FIXTURES;
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-nexus-e2e', maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: base, apiKey: 'sk-nexus-e2e', maxRetries: 0 });
const hello = [{ role: 'user', content: 'Hello Nexus, echo me' }];

// --- What the recordings say ------------------------------------------------------------------

function recordedLines(name) {
  return readFileSync(`${fixtures}/${name}`, 'utf8').split('\n');
}

// The text of a recorded stream, as each provider's own format spells it.
function recordedStreamText(name) {
  let text = '';
  for (const line of recordedLines(name)) {
    const payload = line.startsWith('data: ') ? line.slice(6) : line;
    if (!payload.startsWith('{')) continue;
    const event = JSON.parse(payload);
    if (event.delta?.type === 'text_delta') text += event.delta.text;
    for (const choice of event.choices ?? []) text += choice.delta?.content ?? '';
  }
  return text;
}

// The tool calls of a recorded OpenAI stream: name and the arguments put together.
function recordedOpenAiToolCalls(name) {
  const calls = [];
  for (const line of recordedLines(name)) {
    if (!line.startsWith('data: {')) continue;
    for (const choice of JSON.parse(line.slice(6)).choices ?? []) {
      for (const call of choice.delta?.tool_calls ?? []) {
        calls[call.index] ??= { name: '', arguments: '' };
        calls[call.index].name += call.function?.name ?? '';
        calls[call.index].arguments += call.function?.arguments ?? '';
      }
    }
  }
  return calls;
}

// A recorded Gemini stream: its text (thoughts left out) and its function calls.
function recordedGeminiStream(name) {
  const out = { text: '', calls: [] };
  for (const line of recordedLines(name)) {
    const payload = line.trim();
    if (!payload.startsWith('data: {')) continue;
    for (const candidate of JSON.parse(payload.slice(6)).candidates ?? []) {
      for (const part of candidate.content?.parts ?? []) {
        if (part.functionCall) out.calls.push(part.functionCall);
        else if (!part.thought) out.text += part.text ?? '';
      }
    }
  }
  return out;
}

// A recorded Bedrock ConverseStream (AWS event-stream framing): its text, reasoning and tool
// calls. Each message: total length, headers length, prelude CRC, headers, payload, CRC.
function recordedBedrockStream(name) {
  const data = readFileSync(`${fixtures}/${name}`);
  const out = { text: '', reasoning: '', calls: [] };
  for (let at = 0; at < data.length;) {
    const total = data.readUInt32BE(at);
    const headersLength = data.readUInt32BE(at + 4);
    const event = JSON.parse(data.subarray(at + 12 + headersLength, at + total - 4).toString());
    const toolStart = event.start?.toolUse;
    if (toolStart) out.calls.push({ id: toolStart.toolUseId, name: toolStart.name, input: '' });
    out.text += event.delta?.text ?? '';
    out.reasoning += event.delta?.reasoningContent?.text ?? '';
    if (event.delta?.toolUse) out.calls[out.calls.length - 1].input += event.delta.toolUse.input;
    at += total;
  }
  return out;
}

function recordedJson(name) {
  return JSON.parse(readFileSync(`${fixtures}/${name}`, 'utf8'));
}

// --- OpenAI SDK -------------------------------------------------------------------------------

test('openai: echo answers offline, whole and streamed with usage', async () => {
  const whole = await openai.chat.completions.create({ model: 'echo', messages: hello });
  assert.equal(whole.choices[0].message.content, 'Hello Nexus, echo me');
  assert.equal(whole.choices[0].finish_reason, 'stop');
  assert.equal(whole.usage.completion_tokens, 4);

  const stream = await openai.chat.completions.create({
    model: 'echo', messages: hello, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage = null;
  let deltas = 0;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    deltas += chunk.choices[0]?.delta?.content ? 1 : 0;
    usage = chunk.usage ?? usage;
  }
  assert.equal(text, 'Hello Nexus, echo me');
  assert.equal(deltas, 4, 'word by word');
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
});

test('openai -> openai: a recorded completion', async () => {
  const recorded = recordedJson('openai/pydantic__test_openai_chat_prompt_cache_e2e.0.json');
  const answer = await openai.chat.completions.create({ model: 'oai-chat', messages: hello });
  assert.equal(answer.choices[0].message.content, recorded.choices[0].message.content);
  assert.equal(answer.usage.prompt_tokens, recorded.usage.prompt_tokens);
  assert.equal(answer.usage.prompt_tokens_details.cached_tokens,
    recorded.usage.prompt_tokens_details.cached_tokens);
});

test('openai -> openai: streamed tool call through the SDK helper', async () => {
  const name = 'openai/ddtrace__completion_stream_with_tools.sse';
  const runner = openai.chat.completions.stream({
    model: 'oai-tools-stream', messages: hello,
    tools: [{ type: 'function', function: { name: 'get_current_weather', parameters: { type: 'object' } } }],
  });
  const final = await runner.finalChatCompletion();
  const calls = final.choices[0].message.tool_calls;
  const expected = recordedOpenAiToolCalls(name);
  assert.equal(calls.length, expected.length);
  calls.forEach((call, i) => {
    assert.equal(call.function.name, expected[i].name);
    assert.deepEqual(JSON.parse(call.function.arguments), JSON.parse(expected[i].arguments));
  });
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
});

test('openai -> openai-compatible: a streamed text (Groq)', async () => {
  const stream = await openai.chat.completions.create({ model: 'groq-stream', messages: hello, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, recordedStreamText('groq/vercel__groq-text.chunks.txt'));
});

test('openai -> anthropic: whole tool call and streamed text', async () => {
  const recorded = recordedJson('anthropic/ddtrace__anthropic_v1_messages_post_c247d326.json');
  const answer = await openai.chat.completions.create({
    model: 'claude-tool', messages: hello,
    tools: [{ type: 'function', function: { name: 'add', parameters: { type: 'object' } } }],
  });
  const call = answer.choices[0].message.tool_calls[0];
  assert.equal(call.id, recorded.content[0].id);
  assert.equal(call.function.name, recorded.content[0].name);
  assert.deepEqual(JSON.parse(call.function.arguments), recorded.content[0].input);
  assert.equal(answer.choices[0].finish_reason, 'tool_calls');
  assert.equal(answer.usage.completion_tokens, recorded.usage.output_tokens);

  const stream = await openai.chat.completions.create({ model: 'claude-stream', messages: hello, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, recordedStreamText('anthropic/ddtrace__anthropic_completion_stream.sse'));
});

test('openai -> gemini: completion, streamed text, streamed tool call, embeddings, errors', async () => {
  const recorded = recordedJson('google/pydantic__test_google_model.json');
  const answer = await openai.chat.completions.create({ model: 'gem-chat', messages: hello });
  assert.equal(answer.choices[0].message.content, recorded.candidates[0].content.parts[0].text);
  assert.equal(answer.choices[0].finish_reason, 'stop');
  const usage = recorded.usageMetadata;  // thoughts are output, outside candidatesTokenCount
  assert.equal(answer.usage.prompt_tokens, usage.promptTokenCount);
  assert.equal(answer.usage.completion_tokens, usage.candidatesTokenCount + usage.thoughtsTokenCount);
  assert.equal(answer.usage.completion_tokens_details.reasoning_tokens, usage.thoughtsTokenCount);

  const stream = await openai.chat.completions.create({ model: 'gem-stream', messages: hello, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, recordedGeminiStream('google/pydantic__test_google_model_iter_stream.2.sse').text);

  const runner = openai.chat.completions.stream({
    model: 'gem-tool-stream', messages: hello,
    tools: [{ type: 'function', function: { name: 'get_capital', parameters: { type: 'object' } } }],
  });
  const final = await runner.finalChatCompletion();
  const [expected] = recordedGeminiStream('google/pydantic__test_google_model_iter_stream.0.sse').calls;
  const call = final.choices[0].message.tool_calls[0];
  assert.equal(call.function.name, expected.name);
  assert.deepEqual(JSON.parse(call.function.arguments), expected.args);
  assert.ok(call.id.length > 0);
  assert.equal(final.choices[0].finish_reason, 'tool_calls');

  const vectors = recordedJson('google/pydantic__TestGoogle.test_instrumentation.json').embeddings;
  const embedded = await openai.embeddings.create({ model: 'gem-emb', input: ['one text'] });
  assert.equal(embedded.data.length, vectors.length);
  assert.deepEqual(embedded.data[0].embedding, vectors[0].values.map(Math.fround));
  assert.equal(embedded.model, 'gem-emb');

  await assert.rejects(openai.chat.completions.create({ model: 'gem-404', messages: hello }),
    (e) => e instanceof OpenAI.NotFoundError && /not found/.test(e.message));
});

test('openai -> cohere: completion, streamed tool calls, embeddings', async () => {
  const recorded = recordedJson('cohere/pydantic__test_stop_settings_cohere.json');
  const answer = await openai.chat.completions.create({ model: 'coh-chat', messages: hello, stop: ['Paris'] });
  assert.equal(answer.choices[0].message.content, recorded.message.content[0].text);
  assert.equal(answer.choices[0].finish_reason, 'stop');
  assert.equal(answer.model, 'coh-chat');  // Cohere names no model: the client's name
  assert.equal(answer.usage.prompt_tokens, recorded.usage.billed_units.input_tokens);

  const name = 'cohere/vercel__cohere-tool-call.chunks.txt';
  const runner = openai.chat.completions.stream({
    model: 'coh-tool-stream', messages: hello,
    tools: ['weather', 'cityAttractions'].map((tool) => ({ type: 'function', function: { name: tool, parameters: { type: 'object' } } })),
  });
  const final = await runner.finalChatCompletion();
  const events = recordedLines(name).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const expected = events.filter((e) => e.type === 'tool-call-start').map((e) => e.delta.message.tool_calls);
  for (const e of events.filter((e) => e.type === 'tool-call-delta')) {
    expected[e.index].function.arguments += e.delta.message.tool_calls.function.arguments;
  }
  const calls = final.choices[0].message.tool_calls;
  assert.equal(calls.length, expected.length);
  calls.forEach((call, i) => {
    assert.equal(call.id, expected[i].id);
    assert.equal(call.function.name, expected[i].function.name);
    assert.deepEqual(JSON.parse(call.function.arguments), JSON.parse(expected[i].function.arguments));
  });
  assert.equal(final.choices[0].finish_reason, 'tool_calls');

  const vectors = recordedJson('cohere/pydantic__TestCohere.test_query.json');
  const embedded = await openai.embeddings.create({ model: 'coh-emb', input: 'query', input_type: 'search_query' });
  assert.deepEqual(embedded.data[0].embedding, vectors.embeddings.float[0].map(Math.fround));
  assert.equal(embedded.usage.prompt_tokens, vectors.meta.billed_units.input_tokens);
});

test('openai -> azure openai: a completion and a stream with content filter results', async () => {
  const recorded = recordedJson('azure/ddtrace__azure_openai_chat_completion_categorical.json');
  const answer = await openai.chat.completions.create({ model: 'az-chat', messages: hello });
  assert.equal(answer.choices[0].message.content, recorded.choices[0].message.content);
  assert.equal(answer.usage.total_tokens, recorded.usage.total_tokens);

  const stream = await openai.chat.completions.create({ model: 'az-stream', messages: hello, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, recordedStreamText('azure/ddtrace__completion_azure_stream.sse'));
});

test('openai -> bedrock: completion, streamed text and tool call, errors', async () => {
  const recorded = recordedJson('bedrock/vercel__amazon-bedrock-text.json');
  const answer = await openai.chat.completions.create({ model: 'br-chat', messages: hello });
  assert.equal(answer.choices[0].message.content, recorded.output.message.content[0].text);
  assert.equal(answer.choices[0].finish_reason, 'stop');
  assert.equal(answer.usage.prompt_tokens, recorded.usage.inputTokens);
  assert.equal(answer.usage.completion_tokens, recorded.usage.outputTokens);
  assert.equal(answer.model, 'br-chat');  // Bedrock names none: the client's name

  const expected = recordedBedrockStream('bedrock/ddtrace__bedrock_converse_stream.eventstream');
  const runner = openai.chat.completions.stream({
    model: 'br-tool-stream', messages: hello,
    tools: [{ type: 'function', function: { name: 'fetch_concept', parameters: { type: 'object' } } }],
  });
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].message.content, expected.text);
  const call = final.choices[0].message.tool_calls[0];
  assert.equal(call.id, expected.calls[0].id);
  assert.equal(call.function.name, expected.calls[0].name);
  assert.deepEqual(JSON.parse(call.function.arguments), JSON.parse(expected.calls[0].input));
  assert.equal(final.choices[0].finish_reason, 'tool_calls');

  await assert.rejects(openai.chat.completions.create({ model: 'br-403', messages: hello }),
    (e) => e instanceof OpenAI.PermissionDeniedError && /expired/.test(e.message));
});

test('openai: errors keep their status, shape and Retry-After', async () => {
  await assert.rejects(openai.chat.completions.create({ model: 'no-such-model', messages: hello }),
    (e) => e instanceof OpenAI.NotFoundError && e.param === 'model');
  await assert.rejects(openai.chat.completions.create({ model: 'echo', messages: hello, logit_bias: { 1: 1 } }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'logit_bias');
  await assert.rejects(openai.chat.completions.create({ model: 'oai-401', messages: hello }),
    (e) => e instanceof OpenAI.AuthenticationError);
  await assert.rejects(openai.chat.completions.create({ model: 'oai-429', messages: hello }),
    (e) => e instanceof OpenAI.RateLimitError && e.headers.get('retry-after') === '7' &&
      e.code === 'insufficient_quota');
  await assert.rejects(openai.chat.completions.create({ model: 'claude-529', messages: hello }),
    (e) => e instanceof OpenAI.APIError && e.status === 529);
});

test('both: a wrong API key is refused by Nexus before any provider is asked', async () => {
  const wrongOpenAi = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(wrongOpenAi.chat.completions.create({ model: 'echo', messages: hello }),
    (e) => e instanceof OpenAI.AuthenticationError);
  const wrongAnthropic = new Anthropic({ baseURL: base, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(wrongAnthropic.messages.create({ model: 'echo', max_tokens: 10, messages: hello }),
    (e) => e instanceof Anthropic.AuthenticationError);
});

test('openai: embeddings (base64, the SDK default, and float) and legacy completions', async () => {
  const b64 = recordedJson('openai/ddtrace__embedding_b64.json');
  const decoded = await openai.embeddings.create({ model: 'emb-b64', input: 'hello' });
  const raw = Buffer.from(b64.data[0].embedding, 'base64');
  const expected = Array.from(new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4));
  assert.deepEqual(decoded.data[0].embedding, expected);
  assert.equal(decoded.usage.prompt_tokens, b64.usage.prompt_tokens);

  const float = recordedJson('openai/vercel__openai-embedding.json');
  const floats = await openai.embeddings.create({ model: 'emb-float', input: 'hello', encoding_format: 'float' });
  assert.deepEqual(floats.data[0].embedding, float.data[0].embedding);

  const legacy = recordedJson('openai/vercel__openai-completion-text.json');
  const completion = await openai.completions.create({ model: 'oai-legacy', prompt: 'Say hi' });
  assert.equal(completion.choices[0].text, legacy.choices[0].text);

  await assert.rejects(openai.embeddings.create({ model: 'claude-tool', input: 'x' }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'model');
});

test('openai: echo embeddings, base64 (the SDK default) and float agree', async () => {
  const input = ['hello world', 'hello world', 'other text'];
  const viaBase64 = await openai.embeddings.create({ model: 'echo', input, dimensions: 8 });
  const viaFloat = await openai.embeddings.create({ model: 'echo', input, dimensions: 8, encoding_format: 'float' });
  assert.equal(viaBase64.data.length, 3);
  assert.equal(viaBase64.data[0].embedding.length, 8);
  assert.deepEqual(viaBase64.data[0].embedding, viaBase64.data[1].embedding);
  assert.notDeepEqual(viaBase64.data[0].embedding, viaBase64.data[2].embedding);
  // Floats written in their shortest exact form read back as the same float32 values.
  assert.deepEqual(viaFloat.data.map((d) => d.embedding.map(Math.fround)),
    viaBase64.data.map((d) => d.embedding));
  assert.equal(viaBase64.usage.prompt_tokens, 6);
  await assert.rejects(openai.embeddings.create({ model: 'echo', input: [[1, 2, 3]] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'input[0]');
});

test('openai: /v1/models lists the configured models', async () => {
  const ids = [];
  for await (const model of openai.models.list()) ids.push(model.id);
  assert.ok(ids.includes('echo') && ids.includes('claude-tool'), ids.join());
  assert.equal((await openai.models.retrieve('echo')).id, 'echo');
});

// --- Anthropic SDK ----------------------------------------------------------------------------

test('anthropic: echo answers offline, whole and streamed', async () => {
  const whole = await anthropic.messages.create({ model: 'echo', max_tokens: 100, messages: hello });
  assert.equal(whole.content[0].type, 'text');
  assert.equal(whole.content[0].text, 'Hello Nexus, echo me');
  assert.equal(whole.stop_reason, 'end_turn');

  const stream = anthropic.messages.stream({ model: 'echo', max_tokens: 100, messages: hello });
  let text = '';
  stream.on('text', (delta) => { text += delta; });
  const final = await stream.finalMessage();
  assert.equal(text, 'Hello Nexus, echo me');
  assert.equal(final.content[0].text, 'Hello Nexus, echo me');
  assert.equal(final.usage.output_tokens, 4);
});

test('anthropic -> anthropic: a streamed tool call', async () => {
  const stream = anthropic.messages.stream({
    model: 'claude-tool-stream', max_tokens: 100, messages: hello,
    tools: [{ name: 'json', input_schema: { type: 'object' } }],
  });
  const final = await stream.finalMessage();
  const recorded = recordedLines('anthropic/vercel__anthropic-json-tool.2.chunks.txt')
    .filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const start = recorded.find((e) => e.content_block?.type === 'tool_use').content_block;
  const input = recorded.filter((e) => e.delta?.type === 'input_json_delta')
    .map((e) => e.delta.partial_json).join('');
  const tool = final.content.find((block) => block.type === 'tool_use');
  assert.equal(tool.id, start.id);
  assert.equal(tool.name, start.name);
  assert.deepEqual(tool.input, JSON.parse(input));
  assert.equal(final.stop_reason, 'tool_use');
});

test('anthropic -> openai: whole and streamed text', async () => {
  const recorded = recordedJson('openai/pydantic__test_openai_chat_prompt_cache_e2e.0.json');
  const whole = await anthropic.messages.create({ model: 'oai-chat', max_tokens: 100, messages: hello });
  assert.equal(whole.content[0].text, recorded.choices[0].message.content);
  assert.equal(whole.usage.output_tokens, recorded.usage.completion_tokens);

  const stream = anthropic.messages.stream({ model: 'groq-stream', max_tokens: 100, messages: hello });
  const final = await stream.finalMessage();
  assert.equal(final.content[0].text, recordedStreamText('groq/vercel__groq-text.chunks.txt'));
});

test('anthropic -> openai: a streamed tool call', async () => {
  const stream = anthropic.messages.stream({
    model: 'oai-tools-stream', max_tokens: 100, messages: hello,
    tools: [{ name: 'get_current_weather', input_schema: { type: 'object' } }],
  });
  const final = await stream.finalMessage();
  const expected = recordedOpenAiToolCalls('openai/ddtrace__completion_stream_with_tools.sse');
  const tools = final.content.filter((block) => block.type === 'tool_use');
  assert.equal(tools.length, expected.length);
  assert.equal(tools[0].name, expected[0].name);
  assert.deepEqual(tools[0].input, JSON.parse(expected[0].arguments));
  assert.equal(final.stop_reason, 'tool_use');
});

test('anthropic -> gemini: whole text with thinking usage, streamed text, streamed tool call', async () => {
  const recorded = recordedJson('google/pydantic__test_google_model.json');
  const whole = await anthropic.messages.create({ model: 'gem-chat', max_tokens: 100, messages: hello });
  assert.equal(whole.content[0].text, recorded.candidates[0].content.parts[0].text);
  assert.equal(whole.stop_reason, 'end_turn');
  assert.equal(whole.usage.output_tokens,
    recorded.usageMetadata.candidatesTokenCount + recorded.usageMetadata.thoughtsTokenCount);

  const stream = anthropic.messages.stream({ model: 'gem-stream', max_tokens: 100, messages: hello });
  const final = await stream.finalMessage();
  assert.equal(final.content[0].text,
    recordedGeminiStream('google/pydantic__test_google_model_iter_stream.2.sse').text);

  const toolStream = anthropic.messages.stream({
    model: 'gem-tool-stream', max_tokens: 100, messages: hello,
    tools: [{ name: 'get_capital', input_schema: { type: 'object' } }],
  });
  const withTool = await toolStream.finalMessage();
  const [expected] = recordedGeminiStream('google/pydantic__test_google_model_iter_stream.0.sse').calls;
  const tool = withTool.content.find((block) => block.type === 'tool_use');
  assert.equal(tool.name, expected.name);
  assert.deepEqual(tool.input, expected.args);
  assert.equal(withTool.stop_reason, 'tool_use');
});

test('anthropic -> bedrock: streamed thinking with its signature, streamed tool call', async () => {
  const thinking = recordedBedrockStream('bedrock/pydantic__test_bedrock_model_thinking_part_stream.eventstream');
  const stream = anthropic.messages.stream({ model: 'br-thinking-stream', max_tokens: 100, messages: hello });
  const final = await stream.finalMessage();
  const block = final.content.find((b) => b.type === 'thinking');
  assert.equal(block.thinking, thinking.reasoning);
  assert.ok(block.signature.length > 0);
  assert.equal(final.content.find((b) => b.type === 'text').text, thinking.text);
  assert.equal(final.stop_reason, 'end_turn');

  const expected = recordedBedrockStream('bedrock/ddtrace__bedrock_converse_stream.eventstream');
  const toolStream = anthropic.messages.stream({
    model: 'br-tool-stream', max_tokens: 100, messages: hello,
    tools: [{ name: 'fetch_concept', input_schema: { type: 'object' } }],
  });
  const withTool = await toolStream.finalMessage();
  const tool = withTool.content.find((b) => b.type === 'tool_use');
  assert.equal(tool.id, expected.calls[0].id);
  assert.deepEqual(tool.input, JSON.parse(expected.calls[0].input));
  assert.equal(withTool.stop_reason, 'tool_use');
});

test('anthropic: errors keep their status and shape', async () => {
  await assert.rejects(anthropic.messages.create({ model: 'claude-529', max_tokens: 10, messages: hello }),
    (e) => e instanceof Anthropic.APIError && e.status === 529 && e.error?.error?.type === 'overloaded_error');
  await assert.rejects(anthropic.messages.create({ model: 'claude-429', max_tokens: 10, messages: hello }),
    (e) => e instanceof Anthropic.RateLimitError && e.headers.get('retry-after') === '7');
  await assert.rejects(anthropic.messages.create({ model: 'echo', messages: hello }),
    (e) => e instanceof Anthropic.BadRequestError && /max_tokens/.test(e.message));
  await assert.rejects(anthropic.messages.create({ model: 'oai-401', max_tokens: 10, messages: hello }),
    (e) => e instanceof Anthropic.AuthenticationError && e.error?.error?.type === 'authentication_error');
});
