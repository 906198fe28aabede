// The Gemini provider's request side: an llm::Request into a generateContent body for the
// Gemini API (generativelanguage.googleapis.com/v1beta) and Vertex AI (same body), and the
// method's path. Error bodies: error_decoder.h.
#pragma once

#include <string>
#include <string_view>

#include "llm/ir/request.h"
#include "nexus/core/result.h"

namespace nexus::providers::gemini {

struct EncodeOptions {
  bool drop_unsupported_params = false;  // drop what cannot be translated instead of a 400
};

// Writes the body (the model is not in it: it goes in the path). How it maps:
// - system parts: systemInstruction.parts (text);
// - messages: contents with role "user" / "model"; consecutive messages of one role are one
//   content (Gemini wants the results of parallel calls in one turn); empty texts are left out.
//   Text: {text}; inline image: inlineData{mimeType,data}; http(s) or gs:// image URL:
//   fileData{mimeType,fileUri}, with the media type guessed from the URL's extension (png, jpeg,
//   jpg, webp, gif, heic, heif) when the IR has none, since Vertex requires it: a URL whose type
//   cannot be told, or of another scheme, is a kBadRequest naming "messages" unless dropped.
//   OpenAI's image `detail` is dropped.
// - assistant kToolCall: functionCall{name, args (the arguments' JSON object; "" is {}), id},
//   with the part's thoughtSignature taken from the IR id (tool_call_id.h), else the part's own
//   signature, else the signature of a kReasoning part before it in the message. Arguments that
//   are not a JSON object are a kBadRequest naming "messages" (dropped: {}). Reasoning text is
//   not sent back (Gemini does not need it); redacted reasoning is dropped.
// - kToolResult: functionResponse{id, name, response:{"output": text}} ({"error": text} when
//   is_error), the name found on the latest earlier assistant kToolCall with that id (none: a
//   kBadRequest naming "messages"); images in a result follow it as parts of the same turn.
// - tools: tools[{functionDeclarations:[{name, description, parametersJsonSchema}]}]: the
//   JSON-Schema field, not `parameters` (an OpenAPI subset that refuses $ref/$defs, anyOf in
//   older models, additionalProperties, $schema, const, ...), so clients' schemas pass as they
//   are; only a root "$schema" is removed. `strict` is dropped (Gemini has no such switch).
// - tool_choice: toolConfig.functionCallingConfig.mode AUTO / NONE / ANY, kTool: ANY with
//   allowedFunctionNames [name]. parallel_tool_calls false: a kBadRequest naming
//   "parallel_tool_calls" unless dropped (Gemini cannot forbid them); true is the default.
// - generationConfig: temperature, topP, topK, maxOutputTokens, stopSequences, candidateCount
//   (n), seed, presencePenalty, frequencyPenalty, responseLogprobs (logprobs), logprobs
//   (top_logprobs); json_object: responseMimeType application/json; json_schema: that and
//   responseJsonSchema (root "$schema" removed); thinking_budget, else reasoning_effort
//   (none: 0, minimal: 128, low: 1024, medium: 2048, high: 4096 tokens; another word is a
//   kBadRequest naming "reasoning_effort") -> thinkingConfig{thinkingBudget, includeThoughts}.
// - dropped silently: user (Gemini has no such field), cache_control (Gemini caches by itself
//   or through cachedContents), stream and include_usage (the path says stream; usage always
//   comes).
Result<void> encode_request(const llm::Request& request, const EncodeOptions& options,
                            std::string& body);

// Appends "/models/{model}:generateContent" or, when `stream`,
// "/models/{model}:streamGenerateContent?alt=sse" to the base URL's path (the Gemini API's
// /v1beta, or Vertex AI's /v1/projects/P/locations/L/publishers/google).
void append_method_path(std::string_view model, bool stream, std::string& path);

// Appends `model` as one path segment: a leading "models/" is left out, and every byte but
// letters, digits and -._~ is percent-encoded.
void append_model_segment(std::string_view model, std::string& path);

}  // namespace nexus::providers::gemini
