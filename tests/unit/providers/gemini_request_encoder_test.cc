// The Gemini provider's request encoder: real OpenAI and Anthropic client bodies (decoded by the
// dialects) written as Gemini bodies and compared with the bodies that Gemini's own clients sent
// (the recorded *.request.json), what Gemini cannot take, thought signatures carried through
// the tool call ids, and the method paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <string>

#include "llm/dialects/anthropic/messages_request.h"
#include "llm/dialects/openai/chat_request.h"
#include "providers/gemini/request_encoder.h"
#include "providers/gemini/stream_decoder.h"
#include "stream_test_support.h"

namespace nexus::providers::gemini {
namespace {

using llm::Part;
using llm::PartKind;
using llm::Role;

llm::Request hello() {
  llm::Request request{.model = "client-model"};
  request.messages.push_back({.role = Role::kUser, .parts = {{.text = "Hello!"}}});
  return request;
}

boost::json::object encoded(const llm::Request& request, EncodeOptions options = {}) {
  std::string body;
  auto written = encode_request(request, options, body);
  EXPECT_TRUE(written.has_value()) << (written ? "" : written.error().message());
  return written ? boost::json::parse(body).as_object() : boost::json::object();
}

std::string refused(const llm::Request& request) {
  std::string body;
  auto written = encode_request(request, {}, body);
  EXPECT_FALSE(written.has_value());
  return written ? "(encoded)" : written.error().param();
}

boost::json::value recorded(const std::string& name) {
  return boost::json::parse(testing::fixture("google/" + name));
}

// The keys of a JSON object, to compare the shape of ours with a recorded one.
std::vector<std::string> keys(const boost::json::value& value) {
  std::vector<std::string> out;
  for (const auto& entry : value.as_object()) {
    out.emplace_back(entry.key());
  }
  std::ranges::sort(out);
  return out;
}

TEST(GeminiRequestEncoder, TextAndSystemAsPydanticSentThem) {
  llm::Request request = hello();
  request.system.push_back({.text = "You are a chatbot."});
  const boost::json::object body = encoded(request);
  const boost::json::value sent = recorded("pydantic__test_google_model.request.json");
  EXPECT_EQ(body.at("contents"), sent.at("contents"));
  EXPECT_EQ(body.at("systemInstruction").at("parts"), sent.at("systemInstruction").at("parts"));
  EXPECT_FALSE(body.contains("generationConfig"));  // nothing set, Gemini's defaults
  EXPECT_FALSE(body.contains("model"));             // it is in the path
}

// A real OpenAI client's tool round trip (recorded against Groq), as Gemini takes it: compared
// with the same kind of turn that pydantic-ai sent to Gemini.
TEST(GeminiRequestEncoder, OpenAiToolRoundTripHasTheShapeGeminiClientsSend) {
  auto request = dialects::openai::decode_chat_request(
      testing::fixture("groq/pydantic__test_tool_use_failed_error.1.request.json"));
  ASSERT_TRUE(request.has_value()) << request.error().message();
  const boost::json::object body = encoded(*request);
  const boost::json::value sent =
      recorded("pydantic__test_google_model_iter_stream.1.request.json");
  const boost::json::array& contents = body.at("contents").as_array();
  ASSERT_EQ(contents.size(), 3u);
  EXPECT_EQ(body.at("systemInstruction").at("parts"),
            boost::json::parse(
                R"([{"text":"Be concise. Never use pretty double quotes, just regular ones."}])"));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(contents[i].at("role"), sent.at("contents").at(i).at("role"));
    EXPECT_EQ(keys(contents[i].at("parts").at(0)),
              keys(sent.at("contents").at(i).at("parts").at(0)));
  }
  const boost::json::value& call = contents[1].at("parts").at(0).at("functionCall");
  EXPECT_EQ(keys(call), keys(sent.at("contents").at(1).at("parts").at(0).at("functionCall")));
  EXPECT_EQ(call, boost::json::parse(R"({"name":"get_something_by_name","args":{"foo":"bar"},
      "id":"pyd_ai_445dbde6c4764cafb5782bb928ef6c2c"})"));
  const boost::json::value& result = contents[2].at("parts").at(0).at("functionResponse");
  EXPECT_EQ(keys(result), keys(sent.at("contents").at(2).at("parts").at(0).at("functionResponse")));
  EXPECT_EQ(result.at("name"), "get_something_by_name");
  EXPECT_EQ(result.at("id"), "pyd_ai_445dbde6c4764cafb5782bb928ef6c2c");
  EXPECT_TRUE(result.at("response").at("output").as_string().starts_with("2 validation errors"));
  EXPECT_EQ(body.at("tools"), boost::json::parse(R"([{"functionDeclarations":[
      {"name":"get_something_by_name","parametersJsonSchema":{"additionalProperties":false,
       "properties":{"name":{"type":"string"}},"required":["name"],"type":"object"}}]}])"));
  EXPECT_EQ(body.at("toolConfig"),
            boost::json::parse(R"({"functionCallingConfig":{"mode":"AUTO"}})"));
  EXPECT_EQ(body.at("generationConfig"), boost::json::parse(R"({"candidateCount":1})"));
}

// A real Anthropic client's history with two tool round trips, the assistant's text before its
// call kept in the same model turn. What the Anthropic dialect does not translate is taken out
// first: the last result's tool_reference block (replaced by the same words as text), the
// deferred tool's defer_loading and the server tool.
TEST(GeminiRequestEncoder, AnthropicHistoryBecomesAlternatingTurns) {
  boost::json::value client_body = boost::json::parse(testing::fixture(
      "anthropic/pydantic__test_anthropic_to_google_deferred_capability_history_replay.1."
      "request.json"));
  boost::json::value& reference =
      client_body.at("messages").at(4).at("content").at(0).at("content");
  ASSERT_EQ(reference.at(0).at("type"), "tool_reference");
  reference = boost::json::parse(R"([{"type":"text","text":"lookup_refund_policy"}])");
  boost::json::array& tools = client_body.at("tools").as_array();
  ASSERT_EQ(tools.size(), 3u);
  tools[1].as_object().erase("defer_loading");
  tools.pop_back();  // tool_search_tool_bm25
  auto request = dialects::anthropic::decode_messages_request(boost::json::serialize(client_body));
  ASSERT_TRUE(request.has_value()) << request.error().message();
  const boost::json::object body = encoded(*request, {.drop_unsupported_params = true});
  const boost::json::array& contents = body.at("contents").as_array();
  ASSERT_EQ(contents.size(), 5u);
  const char* roles[] = {"user", "model", "user", "model", "user"};
  for (size_t i = 0; i < contents.size(); ++i) {
    EXPECT_EQ(contents[i].at("role"), roles[i]);
  }
  EXPECT_EQ(contents[1].at("parts").as_array().size(), 2u);
  EXPECT_EQ(contents[1].at("parts").at(1).at("functionCall"),
            boost::json::parse(R"({"name":"load_capability","args":{"id":"refunds"},
                "id":"toolu_01VLwCjyU7u928EqHmMRvow8"})"));
  EXPECT_EQ(contents[2].at("parts").at(0).at("functionResponse").at("name"), "load_capability");
  EXPECT_EQ(contents[4].at("parts").at(0).at("functionResponse").at("name"), "search_tools");
  EXPECT_EQ(body.at("generationConfig").at("maxOutputTokens"), 4096);
  const boost::json::array& declarations =
      body.at("tools").at(0).at("functionDeclarations").as_array();
  ASSERT_EQ(declarations.size(), 2u);
  EXPECT_EQ(declarations[1].at("name"), "lookup_refund_policy");
  EXPECT_EQ(declarations[1].at("parametersJsonSchema").at("additionalProperties"), false);
  EXPECT_EQ(body.at("toolConfig").at("functionCallingConfig").at("mode"), "AUTO");
  EXPECT_TRUE(body.at("systemInstruction")
                  .at("parts")
                  .at(0)
                  .at("text")
                  .as_string()
                  .starts_with("The following capabilities"));
}

// OpenAI sends one tool message per result: Gemini wants them in one turn.
TEST(GeminiRequestEncoder, ParallelResultsAreOneTurn) {
  llm::Request request = hello();
  request.messages.push_back(
      {.role = Role::kAssistant,
       .parts = {{.kind = PartKind::kToolCall, .text = R"({"a":1})", .id = "c1", .name = "f"},
                 {.kind = PartKind::kToolCall, .text = "", .id = "c2", .name = "g"}}});
  for (const char* id : {"c1", "c2"}) {
    request.messages.push_back(
        {.role = Role::kUser,
         .parts = {{.kind = PartKind::kToolResult, .id = id, .content = {{.text = "r"}}}}});
  }
  request.messages[2].parts[0].is_error = true;
  const boost::json::object body = encoded(request);
  EXPECT_EQ(body.at("contents"), boost::json::parse(R"([
      {"role":"user","parts":[{"text":"Hello!"}]},
      {"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1},"id":"c1"}},
                               {"functionCall":{"name":"g","args":{},"id":"c2"}}]},
      {"role":"user","parts":[
        {"functionResponse":{"name":"f","response":{"error":"r"},"id":"c1"}},
        {"functionResponse":{"name":"g","response":{"output":"r"},"id":"c2"}}]}])"));
}

TEST(GeminiRequestEncoder, ToolResultsAndArgumentsGeminiCannotTake) {
  llm::Request request = hello();
  request.messages.push_back(
      {.role = Role::kUser, .parts = {{.kind = PartKind::kToolResult, .id = "nowhere"}}});
  EXPECT_EQ(refused(request), "messages");
  request = hello();
  request.messages.push_back(
      {.role = Role::kAssistant,
       .parts = {{.kind = PartKind::kToolCall, .text = "[1", .id = "c", .name = "f"}}});
  EXPECT_EQ(refused(request), "messages");
  EXPECT_EQ(encoded(request, {.drop_unsupported_params = true})
                .at("contents")
                .at(1)
                .at("parts")
                .at(0)
                .at("functionCall")
                .at("args"),
            boost::json::object());
}

TEST(GeminiRequestEncoder, Images) {
  llm::Request request = hello();
  auto& parts = request.messages[0].parts;
  parts.push_back({.kind = PartKind::kImage, .image = {.media_type = "image/png", .data = "AAA"}});
  parts.push_back({.kind = PartKind::kImage,
                   .image = {.url = "https://x.test/a/cat.JPG?s=1", .detail = "low"}});
  parts.push_back({.kind = PartKind::kImage, .image = {.url = "gs://bucket/dog.webp"}});
  EXPECT_EQ(encoded(request).at("contents").at(0).at("parts"), boost::json::parse(R"([
      {"text":"Hello!"},
      {"inlineData":{"mimeType":"image/png","data":"AAA"}},
      {"fileData":{"mimeType":"image/jpeg","fileUri":"https://x.test/a/cat.JPG?s=1"}},
      {"fileData":{"mimeType":"image/webp","fileUri":"gs://bucket/dog.webp"}}])"));
  for (const char* url : {"https://x.test/image", "https://x.test/a.b/c", "ftp://x.test/a.png"}) {
    llm::Request unknown = hello();
    unknown.messages[0].parts.push_back({.kind = PartKind::kImage, .image = {.url = url}});
    EXPECT_EQ(refused(unknown), "messages") << url;
    EXPECT_EQ(encoded(unknown, {.drop_unsupported_params = true}), encoded(hello()));
  }
  // An image in a tool result follows the function's response in the same turn.
  request = hello();
  request.messages.push_back(
      {.role = Role::kAssistant, .parts = {{.kind = PartKind::kToolCall, .id = "c", .name = "f"}}});
  request.messages.push_back(
      {.role = Role::kUser,
       .parts = {{.kind = PartKind::kToolResult,
                  .id = "c",
                  .content = {{.kind = PartKind::kImage,
                               .image = {.media_type = "image/gif", .data = "R0l"}}}}}});
  EXPECT_EQ(encoded(request).at("contents").at(2).at("parts"), boost::json::parse(R"([
      {"functionResponse":{"name":"f","response":{"output":""},"id":"c"}},
      {"inlineData":{"mimeType":"image/gif","data":"R0l"}}])"));
}

TEST(GeminiRequestEncoder, ToolChoicesAsGeminiClientsSendThem) {
  llm::Request request = hello();
  request.tools.push_back({.name = "bar", .parameters = boost::json::parse(R"({
      "$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{}})")});
  request.tools.push_back({.name = "final_result", .description = "The final response"});
  request.tool_choice = {.mode = llm::ToolChoice::Mode::kRequired};
  boost::json::object body = encoded(request);
  EXPECT_EQ(body.at("tools").at(0).at("functionDeclarations"), boost::json::parse(R"([
      {"name":"bar","parametersJsonSchema":{"type":"object","properties":{}}},
      {"name":"final_result","description":"The final response"}])"));
  const boost::json::value sent =
      recorded("pydantic__test_google_tool_config_any_with_tool_without_args.0.request.json");
  EXPECT_EQ(body.at("toolConfig").at("functionCallingConfig").at("mode"),
            sent.at("toolConfig").at("functionCallingConfig").at("mode"));
  request.tool_choice = {.mode = llm::ToolChoice::Mode::kTool, .name = "bar"};
  EXPECT_EQ(encoded(request).at("toolConfig"), boost::json::parse(R"(
      {"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["bar"]}})"));
  request.tool_choice = {.mode = llm::ToolChoice::Mode::kNone};
  EXPECT_EQ(encoded(request).at("toolConfig").at("functionCallingConfig").at("mode"), "NONE");
  request.parallel_tool_calls = false;
  EXPECT_EQ(refused(request), "parallel_tool_calls");
  EXPECT_TRUE(encoded(request, {.drop_unsupported_params = true}).contains("tools"));
  request.parallel_tool_calls = true;
  EXPECT_TRUE(encoded(request).contains("tools"));
}

TEST(GeminiRequestEncoder, GenerationConfig) {
  llm::Request request = hello();
  request.max_tokens = 100;
  request.temperature = 1.0;
  request.top_p = 0.5;
  request.top_k = 40;
  request.presence_penalty = 0.25;
  request.frequency_penalty = -0.5;
  request.stop = {"END", "STOP"};
  request.n = 2;
  request.seed = 7;
  request.logprobs = true;
  request.top_logprobs = 3;
  request.user = "u";  // no Gemini field: left out
  request.response_format.kind = llm::ResponseFormat::Kind::kJsonObject;
  EXPECT_EQ(encoded(request).at("generationConfig"), boost::json::parse(R"({
      "temperature":1,"topP":0.5,"presencePenalty":0.25,"frequencyPenalty":-0.5,"topK":40,
      "maxOutputTokens":100,"stopSequences":["END","STOP"],"candidateCount":2,"seed":7,
      "responseLogprobs":true,"logprobs":3,"responseMimeType":"application/json"})"));
}

// The structured output of a real pydantic-ai request to Gemini, from the IR's json_schema.
TEST(GeminiRequestEncoder, JsonSchemaAsResponseJsonSchema) {
  const boost::json::value sent =
      recorded("pydantic__test_native_output_with_function_tools_stream.0.request.json");
  llm::Request request = hello();
  request.response_format = {.kind = llm::ResponseFormat::Kind::kJsonSchema,
                             .name = "CityLocation",
                             .schema = sent.at("generationConfig").at("responseJsonSchema")};
  request.response_format.schema.as_object()["$schema"] = "https://json-schema.org/draft/2020-12";
  const boost::json::object config = encoded(request).at("generationConfig").as_object();
  EXPECT_EQ(config.at("responseMimeType"), sent.at("generationConfig").at("responseMimeType"));
  EXPECT_EQ(config.at("responseJsonSchema"), sent.at("generationConfig").at("responseJsonSchema"));
}

TEST(GeminiRequestEncoder, ReasoningBecomesAThinkingBudget) {
  llm::Request request = hello();
  request.reasoning_effort = "low";
  EXPECT_EQ(encoded(request).at("generationConfig").at("thinkingConfig"),
            boost::json::parse(R"({"thinkingBudget":1024,"includeThoughts":true})"));
  request.reasoning_effort = "high";
  EXPECT_EQ(encoded(request).at("generationConfig").at("thinkingConfig").at("thinkingBudget"),
            4096);
  request.reasoning_effort = "none";
  EXPECT_EQ(encoded(request).at("generationConfig").at("thinkingConfig"),
            boost::json::parse(R"({"thinkingBudget":0})"));
  request.reasoning_effort = "extreme";
  EXPECT_EQ(refused(request), "reasoning_effort");
  request.thinking_budget = 3000;  // Anthropic's own budget wins
  EXPECT_EQ(encoded(request).at("generationConfig").at("thinkingConfig").at("thinkingBudget"),
            3000);
}

// Gemini 3 wants each call's thoughtSignature back. The recorded stream's call (decoded, as a
// client gets it), sent back with its result, gives the very part pydantic-ai sent.
TEST(GeminiRequestEncoder, ThoughtSignaturesGoBackThroughTheToolCallId) {
  const boost::json::value sent =
      recorded("pydantic__test_native_output_with_function_tools_stream.1.request.json");
  const llm::Response answer = testing::aggregated<StreamDecoder>(
      "google/pydantic__test_native_output_with_function_tools_stream.0.sse");
  ASSERT_EQ(answer.choices.size(), 1u);
  ASSERT_EQ(answer.choices[0].tool_calls.size(), 1u);
  const llm::ToolCall& call = answer.choices[0].tool_calls[0];
  llm::Request request{.model = "m"};
  request.messages.push_back(
      {.role = Role::kUser, .parts = {{.text = "What is the largest city in the user country?"}}});
  request.messages.push_back({.role = Role::kAssistant,
                              .parts = {{.kind = PartKind::kToolCall,
                                         .text = call.arguments,
                                         .id = call.id,
                                         .name = call.name}}});
  request.messages.push_back(
      {.role = Role::kUser,
       .parts = {{.kind = PartKind::kToolResult, .id = call.id, .content = {{.text = "Mexico"}}}}});
  const boost::json::array contents = encoded(request).at("contents").as_array();
  ASSERT_EQ(contents.size(), 3u);
  EXPECT_EQ(contents[0], sent.at("contents").at(0));
  // The functionCall with its id and thoughtSignature. Google's Python SDK re-encodes the
  // signature (a bytes field) in base64url; the stream gave standard base64, which we send back
  // as it came (Google's JSON takes both): the recorded one is compared in the same alphabet.
  boost::json::value sent_call = sent.at("contents").at(1);
  boost::json::string& signature =
      sent_call.at("parts").at(0).as_object().at("thoughtSignature").as_string();
  std::ranges::replace(signature, '-', '+');
  std::ranges::replace(signature, '_', '/');
  EXPECT_EQ(contents[1], sent_call);
  const boost::json::value& result = contents[2].at("parts").at(0).at("functionResponse");
  const boost::json::value& sent_result =
      sent.at("contents").at(2).at("parts").at(0).at("functionResponse");
  EXPECT_EQ(result.at("id"), sent_result.at("id"));
  EXPECT_EQ(result.at("name"), sent_result.at("name"));
}

// A signature that came as a reasoning part's (an Anthropic client's thinking block) goes on
// the first call after it.
TEST(GeminiRequestEncoder, AReasoningSignatureGoesOnTheNextCall) {
  llm::Request request = hello();
  request.messages.push_back(
      {.role = Role::kAssistant,
       .parts = {{.kind = PartKind::kReasoning, .text = "thinking", .signature = "SIG"},
                 {.kind = PartKind::kText, .text = "Let me look."},
                 {.kind = PartKind::kToolCall, .id = "c1", .name = "f"},
                 {.kind = PartKind::kToolCall, .id = "c2", .name = "f"}}});
  EXPECT_EQ(encoded(request).at("contents").at(1).at("parts"), boost::json::parse(R"([
      {"text":"Let me look."},
      {"functionCall":{"name":"f","args":{},"id":"c1"},"thoughtSignature":"SIG"},
      {"functionCall":{"name":"f","args":{},"id":"c2"}}])"));
}

TEST(GeminiRequestEncoder, MethodPaths) {
  std::string path = "/v1beta";
  append_method_path("gemini-2.5-flash", false, path);
  EXPECT_EQ(path, "/v1beta/models/gemini-2.5-flash:generateContent");
  path = "/v1/projects/p/locations/global/publishers/google";
  append_method_path("models/gemini-3-flash-preview", true, path);
  EXPECT_EQ(path,
            "/v1/projects/p/locations/global/publishers/google/models/"
            "gemini-3-flash-preview:streamGenerateContent?alt=sse");
  path.clear();
  append_model_segment("a/b:c d~_.", path);
  EXPECT_EQ(path, "a%2Fb%3Ac%20d~_.");
}

}  // namespace
}  // namespace nexus::providers::gemini
