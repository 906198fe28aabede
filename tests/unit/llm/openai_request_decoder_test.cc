// The OpenAI dialect's request decoder: every recorded chat completion request body of the
// OpenAI-shaped providers decodes (or is refused naming the field Nexus does not translate),
// what particular bodies become in the IR, and the param each malformed body is refused with.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "llm/dialects/openai/chat_request.h"
#include "openai_fixtures.h"

namespace nexus::dialects::openai {
namespace {

using llm::PartKind;
using llm::testing::recordings;

// Recorded bodies Nexus refuses on purpose: provider-specific fields of other dialects.
const std::map<std::string, std::string> kRefused = {
    {"openrouter/pydantic__test_openrouter_with_native_options.request.json", "models"},
    {"zai/pydantic__test_zai_thinking_mode.request.json", "thinking"},
    {"zai/pydantic__test_zai_thinking_stream.request.json", "thinking"},
};

// Bodies of other endpoints (embeddings, legacy completions) are not chat requests: refused,
// naming their first field the chat API does not have.
const std::map<std::string, std::string> kNotChat = {
    {"openai/ddtrace__completion_stream_wrong_api_key.request.json", "prompt"},
    {"openai/ddtrace__embedding_b64.request.json", "input"},
    {"openai/pydantic__TestOpenAI.test_embed_error.request.json", "encoding_format"},
    {"azure/ddtrace__azure_completion.request.json", "prompt"},
    {"mistral/ddtrace__mistral_v1_embeddings_post_9b4b22cf.request.json", "input"},
};

TEST(OpenAiRequestDecoder, EveryRecordedChatRequestDecodesOrNamesWhatItRefuses) {
  size_t decoded = 0;
  size_t refused = 0;
  size_t not_chat = 0;
  for (const auto& r : recordings()) {
    if (r.request_file.empty()) {
      continue;
    }
    SCOPED_TRACE(r.request_file);
    const auto request = decode_chat_request(providers::testing::fixture(r.request_file));
    if (!llm::testing::is_chat_endpoint(r)) {
      ASSERT_FALSE(request.has_value());
      ASSERT_TRUE(kNotChat.contains(r.request_file));
      EXPECT_EQ(request.error().param(), kNotChat.at(r.request_file));
      ++not_chat;
    } else if (kRefused.contains(r.request_file)) {
      ASSERT_FALSE(request.has_value());
      EXPECT_EQ(request.error().param(), kRefused.at(r.request_file));
      EXPECT_EQ(request.error().http_status(), 400);
      ++refused;
    } else {
      ASSERT_TRUE(request.has_value()) << request.error().message();
      EXPECT_FALSE(request->model.empty());
      EXPECT_FALSE(request->messages.empty());
      ++decoded;
    }
  }
  EXPECT_GE(decoded, 33u);
  EXPECT_EQ(refused, kRefused.size());
  EXPECT_EQ(not_chat, kNotChat.size());
}

TEST(OpenAiRequestDecoder, DeepSeekToolLoopWithReasoningAndTwoSystemMessages) {
  const auto r = decode_chat_request(providers::testing::fixture(
      "deepseek/pydantic__test_deepseek_deferred_capability_with_thinking.1.request.json"));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->model, "deepseek-reasoner");
  ASSERT_EQ(r->system.size(), 2u);
  EXPECT_TRUE(r->system[1].text.starts_with("The following capabilities are deferred"));
  ASSERT_EQ(r->messages.size(), 5u);  // user, assistant, tool, assistant, tool
  const llm::Message& assistant = r->messages[1];
  EXPECT_EQ(assistant.role, llm::Role::kAssistant);
  ASSERT_EQ(assistant.parts.size(), 3u);
  EXPECT_EQ(assistant.parts[0].kind, PartKind::kReasoning);
  EXPECT_EQ(assistant.parts[1].kind, PartKind::kText);
  EXPECT_EQ(assistant.parts[2].kind, PartKind::kToolCall);
  EXPECT_EQ(assistant.parts[2].id, "call_00_sXqYgMESDht75NCLLZtt9804");
  EXPECT_EQ(assistant.parts[2].name, "load_capability");
  EXPECT_EQ(assistant.parts[2].text, R"({"id": "DICE_ROLL"})");
  const llm::Message& tool = r->messages[2];
  EXPECT_EQ(tool.role, llm::Role::kUser);
  ASSERT_EQ(tool.parts.size(), 1u);
  EXPECT_EQ(tool.parts[0].kind, PartKind::kToolResult);
  EXPECT_EQ(tool.parts[0].id, "call_00_sXqYgMESDht75NCLLZtt9804");
  ASSERT_EQ(tool.parts[0].content.size(), 1u);
  EXPECT_EQ(tool.parts[0].content[0].text, "{}");
  // content null and reasoning_content "": the second assistant message is its tool call only.
  ASSERT_EQ(r->messages[3].parts.size(), 1u);
  EXPECT_EQ(r->messages[3].parts[0].kind, PartKind::kToolCall);
  EXPECT_EQ(r->tool_choice.mode, llm::ToolChoice::Mode::kAuto);
  ASSERT_GE(r->tools.size(), 3u);
  EXPECT_EQ(r->tools[0].name, "load_capability");
  EXPECT_EQ(r->tools[0].strict, std::optional<bool>(true));
  EXPECT_TRUE(r->tools[0].parameters.is_object());
}

TEST(OpenAiRequestDecoder, StreamOptionsSamplingAndUser) {
  const auto r = decode_chat_request(providers::testing::fixture(
      "openai/ddtrace__chat_completion_stream_prompt_caching_cache_read.request.json"));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  EXPECT_TRUE(r->max_tokens.has_value());
  EXPECT_TRUE(r->temperature.has_value());
  EXPECT_FALSE(r->user.empty());
  EXPECT_EQ(r->system.size(), 1u);
}

TEST(OpenAiRequestDecoder, MistralAliasesAndJsonSchema) {
  const auto mistral = decode_chat_request(providers::testing::fixture(
      "mistral/pydantic__test_tool_choice_matrix_tools_plus_output-mistral.1.request.json"));
  ASSERT_TRUE(mistral.has_value()) << mistral.error().message();
  EXPECT_EQ(mistral->tool_choice.mode, llm::ToolChoice::Mode::kRequired);  // "any"
  EXPECT_EQ(mistral->tools.size(), 2u);                                    // no `type`: functions
  const auto seeded = decode_chat_request(
      providers::testing::fixture("mistral/ddtrace__mistral_v1_chat_completions_post_20aaaaf3"
                                  ".request.json"));
  ASSERT_TRUE(seeded.has_value()) << seeded.error().message();
  EXPECT_TRUE(seeded->seed.has_value());  // random_seed
  const auto schema = decode_chat_request(providers::testing::fixture(
      "ollama/pydantic__test_ollama_local_native_output_uses_json_schema.request.json"));
  ASSERT_TRUE(schema.has_value()) << schema.error().message();
  EXPECT_EQ(schema->response_format.kind, llm::ResponseFormat::Kind::kJsonSchema);
  EXPECT_EQ(schema->response_format.name, "CityLocation");
  EXPECT_TRUE(schema->response_format.schema.is_object());
}

TEST(OpenAiRequestDecoder, ImagesAsDataUrlsAndHttpUrls) {
  const auto r = decode_chat_request(R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"text","text":"what is this?"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0K","detail":"low"}},
      {"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}}]}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const auto& parts = r->messages[0].parts;
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1].kind, PartKind::kImage);
  EXPECT_EQ(parts[1].image.media_type, "image/png");
  EXPECT_EQ(parts[1].image.data, "iVBORw0K");
  EXPECT_EQ(parts[1].image.detail, "low");
  EXPECT_TRUE(parts[1].image.url.empty());
  EXPECT_EQ(parts[2].image.url, "https://example.com/a.jpg");
}

TEST(OpenAiRequestDecoder, ParametersAndNullsAsOpenAiReadsThem) {
  const auto r = decode_chat_request(R"({"model":"m","messages":[{"role":"developer",
      "content":[{"type":"text","text":"be brief"}]},{"role":"user","content":"hi","name":"ann"}],
      "max_tokens":10,"max_completion_tokens":20,"stop":"END","n":2,"seed":-1,"logprobs":true,
      "top_logprobs":3,"reasoning_effort":"low","parallel_tool_calls":false,
      "tool_choice":{"type":"function","function":{"name":"f"}},"logit_bias":null,
      "store":true,"metadata":{"a":"b"},"service_tier":"auto","response_format":{"type":"json_object"}})");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->system.size(), 1u);
  EXPECT_EQ(r->system[0].text, "be brief");
  EXPECT_EQ(r->messages[0].name, "ann");
  EXPECT_EQ(r->max_tokens, std::optional<uint64_t>(20));
  EXPECT_EQ(r->stop, std::vector<std::string>{"END"});
  EXPECT_EQ(r->n, std::optional<uint32_t>(2));
  EXPECT_EQ(r->seed, std::optional<int64_t>(-1));
  EXPECT_EQ(r->top_logprobs, std::optional<uint32_t>(3));
  EXPECT_EQ(r->reasoning_effort, "low");
  EXPECT_EQ(r->parallel_tool_calls, std::optional<bool>(false));
  EXPECT_EQ(r->tool_choice.mode, llm::ToolChoice::Mode::kTool);
  EXPECT_EQ(r->tool_choice.name, "f");
  EXPECT_EQ(r->response_format.kind, llm::ResponseFormat::Kind::kJsonObject);
}

struct Refusal {
  const char* body;
  const char* param;
};

// Each malformed or untranslatable body, and the param its 400 names.
const Refusal kRefusals[] = {
    {R"([1])", ""},
    {R"({"messages":[{"role":"user","content":"x"}]})", "model"},
    {R"({"model":"m"})", "messages"},
    {R"({"model":"m","messages":[]})", "messages"},
    {R"({"model":7,"messages":[{"role":"user","content":"x"}]})", "model"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"logit_bias":{"1":2}})",
     "logit_bias"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"functions":[]})", "functions"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"audio":{}})", "audio"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"modalities":["text"]})",
     "modalities"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"prediction":{}})", "prediction"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"web_search_options":{}})",
     "web_search_options"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})",
     "temperature"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":0})", "n"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a",1]})", "stop[1]"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":
        {"include_usage":1}})",
     "stream_options.include_usage"},
    {R"({"model":"m","messages":[1]})", "messages[0]"},
    {R"({"model":"m","messages":[{"content":"x"}]})", "messages[0].role"},
    {R"({"model":"m","messages":[{"role":"function","name":"f","content":"x"}]})",
     "messages[0].role"},
    {R"({"model":"m","messages":[{"role":"user"}]})", "messages[0].content"},
    {R"({"model":"m","messages":[{"role":"user","content":5}]})", "messages[0].content"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":[
        {"type":"input_audio","input_audio":{"data":"","format":"wav"}}]}]})",
     "messages[1].content[0].type"},
    {R"({"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{}}]}]})",
     "messages[0].content[0].type"},
    {R"({"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]})",
     "messages[0].content[0].text"},
    {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url",
        "image_url":{"url":"ftp://x"}}]}]})",
     "messages[0].content[0].image_url.url"},
    {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url",
        "image_url":{"url":"data:image/png,abc"}}]}]})",
     "messages[0].content[0].image_url.url"},
    {R"({"model":"m","messages":[{"role":"system","content":[{"type":"image_url"}]}]})",
     "messages[0].content[0].type"},
    {R"({"model":"m","messages":[{"role":"tool","content":"x"}]})", "messages[0].tool_call_id"},
    {R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function",
        "function":{"arguments":"{}"}}]}]})",
     "messages[0].tool_calls[0].function.name"},
    {R"({"model":"m","messages":[{"role":"assistant","function_call":{"name":"f"}}]})",
     "messages[0].function_call"},
    {R"({"model":"m","messages":[{"role":"assistant","content":"x","prefix":true}]})",
     "messages[0].prefix"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom",
        "custom":{"name":"c"}}]})",
     "tools[0].type"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function",
        "function":{"description":"d"}}]})",
     "tools[0].function.name"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"sometimes"})",
     "tool_choice"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":
        "allowed_tools"}})",
     "tool_choice.type"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":
        "json_schema","json_schema":{"schema":{}}}})",
     "response_format.json_schema.name"},
    {R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":
        "yaml"}})",
     "response_format.type"},
};

TEST(OpenAiRequestDecoder, EachRefusalNamesItsParam) {
  for (const Refusal& refusal : kRefusals) {
    SCOPED_TRACE(refusal.body);
    const auto r = decode_chat_request(refusal.body);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), ErrorCode::kBadRequest);
    EXPECT_EQ(r.error().param(), refusal.param);
    EXPECT_FALSE(r.error().message().empty());
  }
}

}  // namespace
}  // namespace nexus::dialects::openai
