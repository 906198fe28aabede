// The official SDKs with Nexus's virtual keys (started by tests/integration/test_llm_sdk.py,
// which makes the keys through the admin API and passes them): the key goes where each SDK puts
// its API key (Authorization: Bearer for openai, x-api-key for @anthropic-ai/sdk), and Nexus's
// refusals reach the SDKs as their own error classes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const base = process.env.NEXUS_URL;
const key = process.env.NEXUS_VIRTUAL_KEY;            // a key allowed "echo" and "gpt" only
const broke = process.env.NEXUS_BUDGET_SPENT_KEY;     // a key whose $0.10 budget one call spends
const hello = [{ role: 'user', content: 'Hello Nexus, echo me' }];

test('openai: a virtual key is an API key; its models are the ones it may use', async () => {
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
  const answer = await openai.chat.completions.create({ model: 'echo', messages: hello });
  assert.equal(answer.choices[0].message.content, 'Hello Nexus, echo me');
  const models = [];
  for await (const model of openai.models.list()) models.push(model.id);
  assert.deepEqual(models.sort(), ['echo', 'gpt']);
  await assert.rejects(openai.chat.completions.create({ model: 'gpt-stream', messages: hello }),
    (e) => e instanceof OpenAI.PermissionDeniedError);
});

test('anthropic: the same key in x-api-key, streaming', async () => {
  const anthropic = new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });
  const stream = anthropic.messages.stream({ model: 'echo', max_tokens: 50, messages: hello });
  const message = await stream.finalMessage();
  assert.equal(message.content[0].text, 'Hello Nexus, echo me');
});

test('both: an unknown key and a spent budget are refused with the SDKs\' error classes', async () => {
  const stranger = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'nx-' + 'x'.repeat(43), maxRetries: 0 });
  await assert.rejects(stranger.chat.completions.create({ model: 'echo', messages: hello }),
    (e) => e instanceof OpenAI.AuthenticationError);
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: broke, maxRetries: 0 });
  await openai.chat.completions.create({ model: 'gpt', max_tokens: 10, messages: hello });
  await assert.rejects(openai.chat.completions.create({ model: 'gpt', max_tokens: 10, messages: hello }),
    (e) => e instanceof OpenAI.APIError && e.status === 402 && e.code === 'budget_exceeded');
  const anthropic = new Anthropic({ baseURL: base, apiKey: broke, maxRetries: 0 });
  await assert.rejects(anthropic.messages.create({ model: 'gpt', max_tokens: 10, messages: hello }),
    (e) => e instanceof Anthropic.APIError && e.status === 402 && e.error?.error?.type === 'billing_error');
});
