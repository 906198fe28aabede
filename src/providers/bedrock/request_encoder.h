// The Bedrock provider's request side: an llm::Request into a Converse / ConverseStream body
// (the same body for both; the path says which: sigv4.h's append_model_path). The model id is
// not in the body: it is in the path.
#pragma once

#include <string>
#include <string_view>

#include "llm/ir/request.h"
#include "nexus/core/result.h"

namespace nexus::providers::bedrock {

struct EncodeOptions {
  bool drop_unsupported_params = false;  // drop what cannot be translated instead of a 400
  // The upstream's Bedrock model id (request.model when empty): its vendor (model_id.h) decides
  // the vendor-specific additionalModelRequestFields.
  std::string_view model;
};

// Writes the body:
// - messages: consecutive messages of one role are merged into one (Converse wants the roles to
//   alternate; OpenAI's tool messages arrive one result per message). Parts become content
//   blocks: text (empty text left out); image {format, source.bytes} from inline base64 data of
//   image/png, jpeg, gif or webp (Bedrock takes no URL: an image URL or another media type is a
//   400 naming "messages" unless dropped, then the image is left out); toolUse {toolUseId, name,
//   input} (arguments that are not a JSON object: 400 naming "messages"); toolResult {toolUseId,
//   content [text | image], status "error" when is_error}; reasoning with a signature as
//   reasoningContent.reasoningText {text, signature} (without one, from another provider, it is
//   left out), redacted reasoning as reasoningContent.redactedContent.
// - system: [{text}]. inferenceConfig: maxTokens, temperature, topP, stopSequences.
// - cache_control markers (on system parts, message parts, tools) become a cachePoint block
//   {type: default, ttl when the marker has one} right after the marked block or tool.
// - toolConfig: tools [{toolSpec {name, description, inputSchema.json, strict}}], toolChoice
//   auto {auto:{}}, required {any:{}}, a named function {tool:{name}}. Bedrock has no "none":
//   tool_choice none sends no toolConfig (the model cannot call what it is not shown), unless
//   the conversation holds tool calls or results, which Bedrock only takes with a toolConfig:
//   then it is a 400 naming "tool_choice" unless dropped (then the tools are sent, choice auto).
// - additionalModelRequestFields, by the model id's vendor: Anthropic takes top_k and thinking
//   {type: enabled, budget_tokens} (thinking_budget, or reasoning_effort low 1024, medium 2048,
//   high 4096, minimal/none: no thinking), maxTokens raised above the budget when the client's
//   was not; OpenAI (gpt-oss) takes reasoning_effort as it is (thinking_budget as low <= 1024 <
//   medium <= 2048 < high). For other vendors, top_k and reasoning are a 400 naming the
//   parameter unless dropped.
// - response_format json_schema: outputConfig.textFormat {type: json_schema, structure.jsonSchema
//   {schema (the schema as JSON text), name}}; json_object has no Bedrock equivalent: a 400
//   naming "response_format" unless dropped. text: nothing.
// - Refused (400 naming the parameter) unless dropped: n > 1, logprobs, top_logprobs, seed,
//   presence_penalty, frequency_penalty, parallel_tool_calls false. user is not sent (Bedrock
//   has no end-user field). Usage always comes in the stream's metadata event.
Result<void> encode_request(const llm::Request& request, const EncodeOptions& options,
                            std::string& body);

}  // namespace nexus::providers::bedrock
