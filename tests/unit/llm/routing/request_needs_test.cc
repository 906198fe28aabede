// What a chat request needs of a deployment, read from the IR and from each dialect's JSON.
#include "llm/routing/request_needs.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>

#include "llm/routing/token_estimate.h"

namespace nexus::llm::routing {
namespace {

RequestNeeds from_json(const std::string& text, bool anthropic) {
  const boost::json::value body = boost::json::parse(text);
  return needs_of(body.as_object(), anthropic);
}

TEST(RequestNeeds, OpenAiBody) {
  const RequestNeeds needs = from_json(
      R"({"model":"m","stream":true,"max_completion_tokens":50,
          "tools":[{"type":"function","function":{"name":"f"}}],
          "response_format":{"type":"json_schema","json_schema":{"name":"x"}},
          "messages":[{"role":"system","content":"12345678"},
                      {"role":"user","content":[{"type":"text","text":"abcdefgh"},
                        {"type":"image_url","image_url":{"url":"https://x/a.png"}}]}]})",
      false);
  EXPECT_TRUE(needs.stream);
  EXPECT_EQ(needs.max_output, 50U);
  EXPECT_TRUE(needs.tools);
  EXPECT_TRUE(needs.vision);
  EXPECT_TRUE(needs.json_schema);
  EXPECT_EQ(needs.media, 1U);
  // Text 16 bytes and the tool's JSON 25 (-> 14 tokens), the reply's priming and two
  // messages (12), the tool's three keys (3), the image (1,600).
  EXPECT_EQ(needs.prompt_tokens, 14U + 12U + 3U + TokenTally::kTokensPerMedia);
}

TEST(RequestNeeds, AnthropicBody) {
  const RequestNeeds needs = from_json(
      R"({"model":"m","max_tokens":10,"system":"abcd","tools":[],
          "messages":[{"role":"user","content":[
            {"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"abcd"},
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA"}}]}]}]})",
      true);
  EXPECT_FALSE(needs.stream);
  EXPECT_EQ(needs.max_output, 10U);
  EXPECT_FALSE(needs.tools);  // an empty list asks for none
  EXPECT_TRUE(needs.vision);  // inside a tool result
  EXPECT_EQ(needs.media, 1U);
  // Text 8 bytes (3 tokens), priming and one message (8), the image.
  EXPECT_EQ(needs.prompt_tokens, 3U + 8U + TokenTally::kTokensPerMedia);
}

TEST(RequestNeeds, FromTheIr) {
  Request request;
  request.max_tokens = 7;
  request.system.push_back(Part{.kind = PartKind::kText, .text = std::string(40, 'x')});
  Message message{.role = Role::kUser};
  message.parts.push_back(Part{.kind = PartKind::kImage});
  request.messages.push_back(message);
  request.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  const RequestNeeds needs = needs_of(request);
  // 40 bytes of text (14 tokens), priming and one message (8), the image.
  EXPECT_EQ(needs.prompt_tokens, 14U + 8U + TokenTally::kTokensPerMedia);
  EXPECT_EQ(needs.media, 1U);
  EXPECT_EQ(needs.max_output, 7U);
  EXPECT_TRUE(needs.vision);
  EXPECT_TRUE(needs.json_schema);
  EXPECT_FALSE(needs.tools);
}

TEST(RequestNeeds, WhatADeploymentLacks) {
  config::Capabilities can{.context_window = 100, .tools = false};
  EXPECT_EQ(lacks(can, RequestNeeds{.prompt_tokens = 60, .max_output = 40}), "");
  EXPECT_TRUE(too_long(can, RequestNeeds{.prompt_tokens = 60, .max_output = 41}));
  EXPECT_EQ(lacks(can, RequestNeeds{.prompt_tokens = 60, .max_output = 41}),
            "a context window of 100 tokens (the request needs about 101)");
  EXPECT_EQ(lacks(can, RequestNeeds{.tools = true}), "tools");
  can.tools = true;
  can.vision = false;
  EXPECT_EQ(lacks(can, RequestNeeds{.vision = true}), "images");
  EXPECT_EQ(
      lacks(config::Capabilities{.context_window = 0}, RequestNeeds{.prompt_tokens = 1u << 30}),
      "");  // an unknown window is never filtered on
}

}  // namespace
}  // namespace nexus::llm::routing
