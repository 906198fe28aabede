// The OpenAI dialect's response side: every recorded OpenAI-shaped chat completion, decoded by
// the provider decoder and written back by the dialect's encoder, says what the original said
// (content, tool calls, finish_reason, usage); errors both ways (the provider's decode_error
// on the recorded error bodies, the dialect's encode_error).
#include <gtest/gtest.h>

#include <string>

#include "llm/dialects/openai/chat_response.h"
#include "openai_fixtures.h"
#include "providers/openai/request_encoder.h"
#include "providers/openai/response_decoder.h"

namespace nexus::dialects::openai {
namespace {

namespace json = boost::json;

bool is_chat_completion(const json::value& body) {
  const json::array* choices =
      body.as_object().if_contains("choices") ? body.at("choices").if_array() : nullptr;
  return choices != nullptr && !choices->empty() &&
         choices->front().as_object().contains("message");
}

// OpenAI's own finish words come back as they were; the others (Mistral's "model_length", ...)
// as what they mean.
bool standard_finish(std::string_view word) {
  return word == "stop" || word == "length" || word == "tool_calls" || word == "content_filter";
}

void expect_same_choice(const json::object& original, const json::object& written) {
  const json::object& in = original.at("message").as_object();
  const json::object& out = written.at("message").as_object();
  EXPECT_EQ(out.at("role"), "assistant");
  const json::value* calls = in.if_contains("tool_calls");
  const bool has_calls = calls != nullptr && calls->is_array() && !calls->get_array().empty();
  // An empty content beside tool calls is written null, as OpenAI does.
  if (in.contains("content") && in.at("content").is_string() &&
      !(has_calls && in.at("content").get_string().empty())) {
    EXPECT_EQ(out.at("content"), in.at("content"));
  }
  if (has_calls) {
    ASSERT_TRUE(out.contains("tool_calls"));
    const json::array& want = calls->as_array();
    const json::array& got = out.at("tool_calls").as_array();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].at("id"), want[i].at("id"));
      EXPECT_EQ(got[i].at("type"), "function");
      EXPECT_EQ(got[i].at("function").at("name"), want[i].at("function").at("name"));
      EXPECT_EQ(got[i].at("function").at("arguments"), want[i].at("function").at("arguments"));
    }
    if (!in.contains("content") || in.at("content").is_null() || in.at("content") == "") {
      EXPECT_TRUE(out.at("content").is_null());
    }
  }
  if (const json::value* reasoning = in.if_contains("reasoning_content");
      reasoning != nullptr && reasoning->is_string() && !reasoning->as_string().empty()) {
    EXPECT_EQ(out.at("reasoning_content"), *reasoning);
  }
  const std::string_view finish = original.at("finish_reason").as_string();
  if (standard_finish(finish)) {
    EXPECT_EQ(written.at("finish_reason"), json::value(finish));
  }
}

TEST(OpenAiResponseEncoder, RecordedResponsesComeBackAsTheyWere) {
  size_t compared = 0;
  for (const auto& r : llm::testing::recordings()) {
    if (r.status != 200 || !r.file.ends_with(".json")) {
      continue;
    }
    const std::string text = providers::testing::fixture(r.file);
    const json::value original = json::parse(text);
    if (!is_chat_completion(original)) {
      continue;  // embeddings, legacy completions, Responses API bodies
    }
    SCOPED_TRACE(r.file);
    const auto response = providers::openai::decode_response(text);
    ASSERT_TRUE(response.has_value()) << response.error().message();
    std::string body;
    encode_chat_response(*response, 1700000000, body);
    const json::value written = json::parse(body);
    EXPECT_EQ(written.at("object"), "chat.completion");
    EXPECT_EQ(written.at("created"), 1700000000);
    EXPECT_EQ(written.at("model"), original.at("model"));
    EXPECT_TRUE(written.at("id").as_string().starts_with("chatcmpl-"));
    const json::array& want = original.at("choices").as_array();
    const json::array& got = written.at("choices").as_array();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      expect_same_choice(want[i].as_object(), got[i].as_object());
    }
    // Usage: the same numbers when the provider counted as OpenAI does, and the same llm::Usage
    // always (xAI's reasoning outside completion_tokens is moved inside).
    const json::object& usage = original.at("usage").as_object();
    if (usage.at("total_tokens").to_number<uint64_t>() ==
        usage.at("prompt_tokens").to_number<uint64_t>() +
            usage.at("completion_tokens").to_number<uint64_t>()) {
      EXPECT_EQ(written.at("usage").at("prompt_tokens"), usage.at("prompt_tokens"));
      EXPECT_EQ(written.at("usage").at("completion_tokens"), usage.at("completion_tokens"));
    }
    const auto again = providers::openai::decode_response(body);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->usage, response->usage);
    ASSERT_EQ(again->choices.size(), response->choices.size());
    for (size_t i = 0; i < again->choices.size(); ++i) {
      EXPECT_EQ(again->choices[i].text, response->choices[i].text);
      EXPECT_EQ(again->choices[i].reasoning, response->choices[i].reasoning);
      EXPECT_EQ(again->choices[i].tool_calls, response->choices[i].tool_calls);
    }
    ++compared;
  }
  EXPECT_GE(compared, 30u);
}

TEST(OpenAiResponseEncoder, IdPrefixFinishWordsAndAToolCallWithoutText) {
  llm::Response response{.id = "msg_01", .model = "claude", .usage = {100, 20, 30, 40, 5}};
  llm::Choice choice{.finish = llm::FinishReason::kOther};
  choice.tool_calls.push_back({.id = "toolu_1", .name = "f", .arguments = ""});
  response.choices.push_back(choice);
  std::string body;
  encode_chat_response(response, 7, body);
  EXPECT_EQ(json::parse(body), json::parse(R"({"id":"chatcmpl-msg_01","object":"chat.completion",
      "created":7,"model":"claude","choices":[{"index":0,"message":{"role":"assistant",
      "content":null,"tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"f",
      "arguments":"{}"}}]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":100,
      "completion_tokens":20,"total_tokens":120,"prompt_tokens_details":{"cached_tokens":30,
      "cache_write_tokens":40},"completion_tokens_details":{"reasoning_tokens":5}}})"));
  response.id = "chatcmpl-abc";
  body.clear();
  encode_chat_response(response, 7, body);
  EXPECT_EQ(json::parse(body).at("id"), "chatcmpl-abc");
}

TEST(OpenAiErrorEncoder, NullsForWhatIsNotKnown) {
  std::string body;
  encode_error({.status = 400, .type = "invalid_request_error", .message = "bad \"x\""}, body);
  EXPECT_EQ(json::parse(body), json::parse(R"({"error":{"message":"bad \"x\"",
      "type":"invalid_request_error","param":null,"code":null}})"));
  body.clear();
  encode_error(llm::api_error(Error(ErrorCode::kBadRequest, "no", "messages[0].role")), body);
  EXPECT_EQ(json::parse(body).at("error").at("param"), "messages[0].role");
  EXPECT_EQ(json::parse(body).at("error").at("code"), "bad_request");
}

TEST(OpenAiErrorDecoder, RecordedErrorBodies) {
  size_t decoded = 0;
  for (const auto& r : llm::testing::recordings()) {
    if (r.status < 400 || !r.file.ends_with(".json")) {
      continue;
    }
    SCOPED_TRACE(r.file);
    const json::value body = llm::testing::json_fixture(r.file);
    const json::object& want = body.at("error").as_object();
    const llm::ApiError error =
        providers::openai::decode_error(r.status, providers::testing::fixture(r.file));
    EXPECT_EQ(error.status, r.status);
    EXPECT_EQ(error.message, want.at("message").as_string());
    EXPECT_EQ(error.type, want.at("type").as_string());
    if (want.contains("code") && want.at("code").is_string()) {
      EXPECT_EQ(error.code, want.at("code").as_string());
    }
    if (want.contains("param") && want.at("param").is_string()) {
      EXPECT_EQ(error.param, want.at("param").as_string());
    }
    ++decoded;
  }
  EXPECT_GE(decoded, 7u);
}

TEST(OpenAiErrorDecoder, OtherShapes) {
  using providers::openai::decode_error;
  const llm::ApiError array =
      decode_error(400, R"([{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}])");
  EXPECT_EQ(array.message, "bad");
  EXPECT_EQ(array.code, "400");
  EXPECT_EQ(decode_error(500, R"("upstream exploded")").message, "upstream exploded");
  const llm::ApiError string_error = decode_error(401, R"({"error":"no key","type":"auth"})");
  EXPECT_EQ(string_error.message, "no key");
  EXPECT_EQ(string_error.type, "auth");
  const llm::ApiError mistral = decode_error(
      422, R"({"object":"error","message":{"detail":[{"msg":"x"}]},"type":"invalid_request_error",
      "param":null,"code":null})");
  EXPECT_EQ(json::parse(mistral.message), json::parse(R"({"detail":[{"msg":"x"}]})"));
  EXPECT_EQ(mistral.type, "invalid_request_error");
  EXPECT_EQ(decode_error(422, R"({"detail":"Not Found"})").message, "Not Found");
  const llm::ApiError html = decode_error(502, "<html>Bad Gateway</html>");
  EXPECT_EQ(html.status, 502);
  EXPECT_EQ(html.message, "<html>Bad Gateway</html>");
  EXPECT_EQ(decode_error(503, std::string(2000, 'x')).message.size(), 512u);
}

}  // namespace
}  // namespace nexus::dialects::openai
