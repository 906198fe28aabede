// Cohere's rerank, which Nexus forwards: the fields it checks before the call, and the tokens it
// reads from the answer for metering. No rerank answer was recorded: the answers here are the
// documented shape (docs.cohere.com, POST /v2/rerank).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>

#include "llm/codecs.h"
#include "providers/cohere/rerank.h"

namespace nexus::providers::cohere {
namespace {

boost::json::object parsed(std::string_view text) { return boost::json::parse(text).as_object(); }

TEST(CohereRerank, RequestsWithAQueryAndDocumentsPass) {
  EXPECT_TRUE(check_rerank_request(parsed(R"({"model":"r","query":"q","documents":["a","b"],
      "top_n":1,"return_documents":true,"max_tokens_per_doc":512})"))
                  .has_value());
  // Objects (v1 and LiteLLM-style clients) and fields Nexus does not know are Cohere's to judge.
  EXPECT_TRUE(check_rerank_request(parsed(R"({"query":"q","documents":[{"text":"a"},"b"],
      "rank_fields":["text"],"future_field":1})"))
                  .has_value());
}

TEST(CohereRerank, AMissingOrMalformedQueryOrDocumentsIsABadRequestNamingIt) {
  struct Case {
    const char* body;
    const char* param;
  };
  for (const Case& bad :
       {Case{R"({"documents":["a"]})", "query"}, Case{R"({"query":"","documents":["a"]})", "query"},
        Case{R"({"query":["q"],"documents":["a"]})", "query"},
        Case{R"({"query":"q"})", "documents"}, Case{R"({"query":"q","documents":[]})", "documents"},
        Case{R"({"query":"q","documents":"a"})", "documents"},
        Case{R"({"query":"q","documents":["a",3]})", "documents[1]"},
        Case{R"({"query":"q","documents":[null]})", "documents[0]"}}) {
    auto checked = check_rerank_request(parsed(bad.body));
    ASSERT_FALSE(checked.has_value()) << bad.body;
    EXPECT_EQ(checked.error().code(), ErrorCode::kBadRequest) << bad.body;
    EXPECT_EQ(checked.error().param(), bad.param) << bad.body;
  }
}

TEST(CohereRerank, SearchUnitsAloneAreNoTokenUsage) {
  // The documented answer: billed in search units only.
  EXPECT_EQ(decode_rerank_usage(R"({"results":[{"index":3,"relevance_score":0.999071}],
      "id":"07734bd2","meta":{"api_version":{"version":"2","is_experimental":false},
      "billed_units":{"search_units":1}}})"),
            std::nullopt);
  EXPECT_EQ(decode_rerank_usage(R"({"results":[]})"), std::nullopt);
  EXPECT_EQ(decode_rerank_usage("not json"), std::nullopt);
  EXPECT_EQ(decode_rerank_usage("[]"), std::nullopt);
}

TEST(CohereRerank, TokensAreReadWhenCohereReportsThem) {
  // meta.tokens when billed_units has only search units.
  EXPECT_EQ(decode_rerank_usage(R"({"meta":{"billed_units":{"search_units":1},
      "tokens":{"input_tokens":120,"output_tokens":0}}})"),
            (llm::Usage{.input = 120}));
  // Billed tokens first, as for chat (Cohere's SDKs type the counts as floats).
  EXPECT_EQ(decode_rerank_usage(R"({"meta":{"billed_units":{"search_units":1,
      "input_tokens":100.0},"tokens":{"input_tokens":120}}})"),
            (llm::Usage{.input = 100}));
  // A count that is not one: no usage rather than a failed answer.
  EXPECT_EQ(decode_rerank_usage(R"({"meta":{"tokens":{"input_tokens":-1}}})"), std::nullopt);
  // The codec choice's entry points say the same.
  EXPECT_EQ(llm::decode_rerank_usage(R"({"meta":{"tokens":{"input_tokens":7}}})"),
            (llm::Usage{.input = 7}));
}

TEST(CohereRerank, OnlyCohereServesRerank) {
  config::Provider provider;
  provider.type = config::ProviderType::kCohere;
  EXPECT_TRUE(llm::serves_rerank(provider));
  for (const auto type : {config::ProviderType::kOpenAi, config::ProviderType::kEcho,
                          config::ProviderType::kGemini, config::ProviderType::kBedrock}) {
    provider.type = type;
    EXPECT_FALSE(llm::serves_rerank(provider));
  }
}

}  // namespace
}  // namespace nexus::providers::cohere
