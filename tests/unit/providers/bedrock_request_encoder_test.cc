// The Bedrock Converse request encoder: real client bodies (OpenAI and Anthropic fixtures)
// decoded by the dialects and encoded, compared field by field with the bodies real SDKs sent
// to Bedrock (the recorded *.request.json); and each refusal naming its parameter.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "llm/dialects/anthropic/messages_request.h"
#include "llm/dialects/openai/chat_request.h"
#include "providers/bedrock/request_encoder.h"
#include "stream_test_support.h"

namespace nexus::providers::bedrock {
namespace {

using llm::Part;
using llm::PartKind;
using llm::Role;
using providers::testing::fixture;

boost::json::object encoded(const llm::Request& request, EncodeOptions options = {}) {
  std::string body;
  auto written = encode_request(request, options, body);
  EXPECT_TRUE(written.has_value()) << (written ? "" : written.error().message());
  return written ? boost::json::parse(body).as_object() : boost::json::object();
}

std::string refused(const llm::Request& request, EncodeOptions options = {}) {
  std::string body;
  auto written = encode_request(request, options, body);
  EXPECT_FALSE(written.has_value());
  return written ? "(encoded)" : written.error().param();
}

llm::Request openai(std::string_view body) {
  auto request = dialects::openai::decode_chat_request(body);
  EXPECT_TRUE(request.has_value());
  return request ? *request : llm::Request{};
}

llm::Request anthropic(std::string_view body) {
  auto request = dialects::anthropic::decode_messages_request(body);
  EXPECT_TRUE(request.has_value());
  return request ? *request : llm::Request{};
}

boost::json::object recorded(const std::string& name) {
  return boost::json::parse(fixture(name)).as_object();
}

// ddtrace's OpenAI tool request, sent to Bedrock: its message, tool spec and choice have the
// shapes boto3 sent in the recorded ConverseStream and Converse requests.
TEST(BedrockRequestEncoder, OpenAiToolRequestAsBotoSendsIt) {
  const llm::Request request =
      openai(fixture("openai/ddtrace__completion_stream_with_tools.request.json"));
  const boost::json::object body = encoded(request);
  const boost::json::object boto =
      recorded("bedrock/ddtrace__bedrock_converse_stream.request.json");
  EXPECT_EQ(body.at("messages"), boost::json::parse(R"([{"role":"user","content":[{"text":
                "What is the weather like in San Francisco, CA?"}]}])"));
  const boost::json::object& tool =
      body.at("toolConfig").at("tools").at(0).at("toolSpec").as_object();
  const boost::json::object& boto_tool =
      boto.at("toolConfig").at("tools").at(0).at("toolSpec").as_object();
  EXPECT_EQ(tool.size(), boto_tool.size());
  for (const auto& field : boto_tool) {
    EXPECT_TRUE(tool.contains(field.key())) << field.key();
  }
  EXPECT_EQ(tool.at("name"), "get_current_weather");
  EXPECT_EQ(tool.at("inputSchema").at("json").at("required"),
            boost::json::parse(R"(["location"])"));
  const boost::json::object nova = recorded(
      "bedrock/pydantic__test_multimodal_tool_return_matrix_direct-uploaded_file-document-bedrock_"
      "nova.0.request.json");
  EXPECT_EQ(body.at("toolConfig").at("toolChoice"), nova.at("toolConfig").at("toolChoice"));
  EXPECT_FALSE(body.contains("inferenceConfig"));  // n: 1 and stream options are not Converse's
}

// A tool without description, as pydantic-ai sends it: no description field at all.
TEST(BedrockRequestEncoder, ToolWithoutDescriptionAsPydanticSendsIt) {
  const llm::Request request = openai(
      fixture("openai/pydantic__test_dbos_agent_with_unserializable_deps_type.request.json"));
  const boost::json::object body = encoded(request);
  const boost::json::object nova = recorded(
      "bedrock/pydantic__test_multimodal_tool_return_matrix_direct-uploaded_file-document-bedrock_"
      "nova.0.request.json");
  boost::json::object tool_config = body.at("toolConfig").as_object();
  tool_config["tools"].as_array()[0].as_object()["toolSpec"].as_object()["name"] = "get_file";
  EXPECT_EQ(tool_config, nova.at("toolConfig"));
}

// Anthropic's cache_control on the system prompt: a cachePoint after it, as pydantic-ai sent it.
TEST(BedrockRequestEncoder, CacheControlBecomesCachePoint) {
  const llm::Request request =
      anthropic(fixture("anthropic/ddtrace__anthropic_completion_stream_cache_read.request.json"));
  const boost::json::object body = encoded(request);
  const boost::json::object nova = recorded(
      "bedrock/pydantic__test_bedrock_cache_point_adds_cache_control_nova-lite.request.json");
  const boost::json::array& system = body.at("system").as_array();
  ASSERT_EQ(system.size(), 2u);
  EXPECT_TRUE(system[0].at("text").as_string().starts_with("Software engineering"));
  EXPECT_EQ(system[1], nova.at("system").at(1));
  EXPECT_EQ(body.at("inferenceConfig"),
            boost::json::parse(R"({"maxTokens":100,"temperature":0.1})"));
}

// The recorded requests' additionalModelRequestFields: Anthropic's thinking and gpt-oss's effort.
TEST(BedrockRequestEncoder, ReasoningAsTheRecordedRequests) {
  llm::Request thinking = anthropic(
      R"({"model":"m","max_tokens":4000,"thinking":{"type":"enabled","budget_tokens":1024},
          "messages":[{"role":"user","content":"Hello"}]})");
  const boost::json::object body =
      encoded(thinking, {.model = "us.anthropic.claude-sonnet-4-20250514-v1:0"});
  const boost::json::object pydantic =
      recorded("bedrock/pydantic__test_bedrock_model_thinking_part_stream.request.json");
  EXPECT_EQ(body.at("messages"), pydantic.at("messages"));
  EXPECT_EQ(body.at("additionalModelRequestFields"), pydantic.at("additionalModelRequestFields"));

  llm::Request effort = openai(
      R"({"model":"openai.gpt-oss-120b-1:0","reasoning_effort":"medium",
          "messages":[{"role":"user","content":"Reply with the single word: ok"}]})");
  const boost::json::object gpt = encoded(effort);
  const boost::json::object recorded_gpt =
      recorded("bedrock/pydantic__test_bedrock_thinking_true_openai_variant.request.json");
  EXPECT_EQ(gpt.at("messages"), recorded_gpt.at("messages"));
  EXPECT_EQ(gpt.at("additionalModelRequestFields"),
            recorded_gpt.at("additionalModelRequestFields"));
  effort.reasoning_effort = "minimal";  // gpt-oss takes low, medium and high only
  EXPECT_EQ(refused(effort), "reasoning_effort");
  EXPECT_FALSE(
      encoded(effort, {.drop_unsupported_params = true}).contains("additionalModelRequestFields"));

  // OpenAI's effort for a Claude model: a budget, and max tokens raised above it.
  llm::Request claude = openai(
      R"({"model":"anthropic.claude-3-7-sonnet-20250219-v1:0","reasoning_effort":"low",
          "max_completion_tokens":500,"messages":[{"role":"user","content":"hi"}]})");
  const boost::json::object raised = encoded(claude);
  EXPECT_EQ(raised.at("additionalModelRequestFields"),
            boost::json::parse(R"({"thinking":{"type":"enabled","budget_tokens":1024}})"));
  EXPECT_EQ(raised.at("inferenceConfig").at("maxTokens"), 1524);
}

// OpenAI's tool loop: the assistant's call and the tool message, as pydantic-ai sent them.
TEST(BedrockRequestEncoder, ToolLoopAsPydanticSendsIt) {
  const llm::Request request = openai(R"({"model":"amazon.nova-2-lite-v1:0","messages":[
      {"role":"user","content":"Use the get_file tool now to retrieve a document file, then describe what you received."},
      {"role":"assistant","content":null,"tool_calls":[{"id":"tooluse_aS2bf2IWkc0VLclSrpq8MK",
        "type":"function","function":{"name":"get_file","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"tooluse_aS2bf2IWkc0VLclSrpq8MK","content":"a document"}],
      "tools":[{"type":"function","function":{"name":"get_file",
        "parameters":{"additionalProperties":false,"properties":{},"type":"object"}}}],
      "tool_choice":"auto"})");
  const boost::json::object body = encoded(request);
  const boost::json::object pydantic = recorded(
      "bedrock/pydantic__test_multimodal_tool_return_matrix_direct-uploaded_file-document-bedrock_"
      "nova.1.request.json");
  const boost::json::array& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0], pydantic.at("messages").at(0));
  EXPECT_EQ(messages[1], pydantic.at("messages").at(1));
  boost::json::object result = pydantic.at("messages").at(2).at("content").at(0).as_object();
  result["toolResult"].as_object()["content"] = boost::json::parse(R"([{"text":"a document"}])");
  EXPECT_EQ(messages[2].at("content").at(0), result);
  EXPECT_EQ(body.at("toolConfig"), pydantic.at("toolConfig"));
}

TEST(BedrockRequestEncoder, MessagesMergeImagesAndErrors) {
  llm::Request request{.model = "anthropic.claude-3-5-sonnet-20240620-v1:0"};
  request.messages.push_back({.role = Role::kUser,
                              .parts = {{.text = "look"},
                                        {.kind = PartKind::kImage,
                                         .image = {.media_type = "image/png", .data = "iVBO"}}}});
  request.messages.push_back({.role = Role::kUser, .parts = {{.text = ""}, {.text = "again"}}});
  request.messages.push_back(
      {.role = Role::kAssistant,
       .parts = {{.kind = PartKind::kReasoning, .text = "unsigned"},
                 {.kind = PartKind::kReasoning, .text = "t", .signature = "sig"},
                 {.kind = PartKind::kToolCall, .text = R"({"a":1})", .id = "c1", .name = "f"}}});
  request.messages.push_back({.role = Role::kUser,
                              .parts = {{.kind = PartKind::kToolResult,
                                         .id = "c1",
                                         .content = {{.text = "bad"}},
                                         .is_error = true}}});
  // Bedrock requires the tools of a conversation with tool calls.
  EXPECT_EQ(refused(request), "tools");
  request.tools.push_back({.name = "f"});
  const boost::json::object body = encoded(request);
  EXPECT_EQ(body.at("messages"), boost::json::parse(R"([
      {"role":"user","content":[{"text":"look"},{"image":{"format":"png","source":{"bytes":"iVBO"}}},
                                {"text":"again"}]},
      {"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"t","signature":"sig"}}},
                                     {"toolUse":{"toolUseId":"c1","name":"f","input":{"a":1}}}]},
      {"role":"user","content":[{"toolResult":{"toolUseId":"c1","content":[{"text":"bad"}],
                                               "status":"error"}}]}])"));

  llm::Request url = request;
  url.messages[0].parts[1].image = {.url = "https://example.com/cat.png"};
  EXPECT_EQ(refused(url), "messages");
  EXPECT_EQ(encoded(url, {.drop_unsupported_params = true})
                .at("messages")
                .at(0)
                .at("content")
                .as_array()
                .size(),
            2u);
  llm::Request bad_arguments = request;
  bad_arguments.messages[2].parts[2].text = "[1]";
  EXPECT_EQ(refused(bad_arguments), "messages");

  // Blank texts, and messages left without content, are not sent (Bedrock refuses them); an
  // empty tool result says "(empty)".
  llm::Request blank = request;
  blank.messages.insert(blank.messages.begin() + 1,
                        {.role = Role::kAssistant, .parts = {{.text = " \n "}}});
  blank.messages[4].parts[0].content = {{.text = "  "}};
  const boost::json::object body_without_blanks = encoded(blank);
  const boost::json::array& messages = body_without_blanks.at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[2].at("content").at(0).at("toolResult").at("content"),
            boost::json::parse(R"j([{"text":"(empty)"}])j"));
}

TEST(BedrockRequestEncoder, ToolChoiceNoneAndNamed) {
  llm::Request request = openai(R"({"model":"m","messages":[{"role":"user","content":"hi"}],
      "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"})");
  EXPECT_FALSE(encoded(request).contains("toolConfig"));
  request.messages.push_back(
      {.role = Role::kAssistant, .parts = {{.kind = PartKind::kToolCall, .id = "c", .name = "f"}}});
  EXPECT_EQ(refused(request), "tool_choice");
  EXPECT_EQ(
      encoded(request, {.drop_unsupported_params = true}).at("toolConfig").at("tools").at(0),
      boost::json::parse(
          R"({"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object","properties":{}}}}})"));
  request.tool_choice = {.mode = llm::ToolChoice::Mode::kTool, .name = "f"};
  EXPECT_EQ(encoded(request).at("toolConfig").at("toolChoice"),
            boost::json::parse(R"({"tool":{"name":"f"}})"));
  request.tool_choice = {.mode = llm::ToolChoice::Mode::kRequired};
  EXPECT_EQ(encoded(request).at("toolConfig").at("toolChoice"),
            boost::json::parse(R"({"any":{}})"));
}

TEST(BedrockRequestEncoder, RefusalsNameTheirParameter) {
  const auto with = [](std::string_view fields) {
    std::string body =
        R"({"model":"meta.llama3-8b-instruct-v1:0","messages":[{"role":"user","content":"hi"}],)";
    body += fields;
    body += '}';
    return openai(body);
  };
  EXPECT_EQ(refused(with(R"("n":2)")), "n");
  EXPECT_EQ(refused(with(R"("seed":1)")), "seed");
  EXPECT_EQ(refused(with(R"("logprobs":true)")), "logprobs");
  EXPECT_EQ(refused(with(R"("top_logprobs":2)")), "top_logprobs");
  EXPECT_EQ(refused(with(R"("presence_penalty":0.5)")), "presence_penalty");
  EXPECT_EQ(refused(with(R"("frequency_penalty":0.5)")), "frequency_penalty");
  EXPECT_EQ(refused(with(R"("parallel_tool_calls":false)")), "parallel_tool_calls");
  EXPECT_EQ(refused(with(R"("response_format":{"type":"json_object"})")), "response_format");
  EXPECT_EQ(refused(with(R"("reasoning_effort":"high")")), "reasoning_effort");
  llm::Request top_k = with(R"("stop":["END"])");
  top_k.top_k = 5;
  EXPECT_EQ(refused(top_k), "top_k");
  const boost::json::object dropped = encoded(top_k, {.drop_unsupported_params = true});
  EXPECT_FALSE(dropped.contains("additionalModelRequestFields"));
  EXPECT_EQ(dropped.at("inferenceConfig"), boost::json::parse(R"({"stopSequences":["END"]})"));
  EXPECT_EQ(encoded(top_k, {.model = "anthropic.claude-3-haiku-20240307-v1:0"})
                .at("additionalModelRequestFields"),
            boost::json::parse(R"({"top_k":5})"));
  EXPECT_EQ(encoded(with(R"("n":2,"seed":1)"), {.drop_unsupported_params = true}).size(), 1u);
}

TEST(BedrockRequestEncoder, JsonSchemaBecomesOutputConfig) {
  const llm::Request request = openai(R"({"model":"m","messages":[{"role":"user","content":"hi"}],
      "response_format":{"type":"json_schema","json_schema":{"name":"answer",
        "schema":{"type":"object","properties":{"a":{"type":"string"}}}}}})");
  const boost::json::object body = encoded(request);
  const boost::json::object& format = body.at("outputConfig").at("textFormat").as_object();
  EXPECT_EQ(format.at("type"), "json_schema");
  const boost::json::object& schema = format.at("structure").at("jsonSchema").as_object();
  EXPECT_EQ(schema.at("name"), "answer");
  EXPECT_EQ(boost::json::parse(schema.at("schema").as_string()),
            boost::json::parse(R"({"type":"object","properties":{"a":{"type":"string"}}})"));
}

}  // namespace
}  // namespace nexus::providers::bedrock
