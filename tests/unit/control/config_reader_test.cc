// Reader::strings, the list-of-scalars reader the section and filter parsers share: what it
// accepts, how it reports each kind of bad list, and what its per-item check may do.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/config/reader.h"

namespace nexus::control::config_internal {
namespace {

using Strings = std::vector<std::string>;

// Parses `yaml` and reads the list under its top-level key "list".
class ReaderStrings : public ::testing::Test {
 protected:
  ReaderStrings()
      : reader_("test.yaml", "", [](const std::string& name) -> std::optional<std::string> {
          if (name == "REGION") {
            return "eu-west";
          }
          return std::nullopt;
        }) {}

  Field list(const std::string& yaml) {
    document_ = YAML::Load(yaml);
    return reader_.child(reader_.root(document_), "list");
  }

  // The message of the error `result` must hold.
  static std::string error_of(const Result<Strings>& result) {
    EXPECT_FALSE(result.has_value());
    return result ? std::string("(no error)") : result.error().message();
  }

  Reader reader_;
  YAML::Node document_;
};

TEST_F(ReaderStrings, ReadsScalarsInOrderInterpolated) {
  auto result = reader_.strings(list("list: [a, \"b c\", 3, '${REGION}']\n"), false);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(*result, (Strings{"a", "b c", "3", "eu-west"}));
}

TEST_F(ReaderStrings, AbsentOrNullIsNoneUnlessNonEmpty) {
  for (const char* yaml : {"other: 1\n", "list:\n", "list: ~\n", "list: []\n"}) {
    auto result = reader_.strings(list(yaml), /*non_empty=*/false);
    ASSERT_TRUE(result) << yaml << ": " << result.error().message();
    EXPECT_TRUE(result->empty()) << yaml;
  }
  // Absent: the error is at the parent's line, under the key's path.
  EXPECT_EQ(error_of(reader_.strings(list("other: 1\n"), /*non_empty=*/true)),
            "test.yaml:1: list: must list at least one entry");
  EXPECT_EQ(error_of(reader_.strings(list("x: 1\nlist: []\n"), /*non_empty=*/true)),
            "test.yaml:2: list: must list at least one entry");
}

TEST_F(ReaderStrings, RefusesWhatIsNotAList) {
  EXPECT_EQ(error_of(reader_.strings(list("x: 1\nlist: abc\n"), false)),
            "test.yaml:2: list: expected a list");
  EXPECT_EQ(error_of(reader_.strings(list("list: {a: b}\n"), false)),
            "test.yaml:1: list: expected a list");
}

TEST_F(ReaderStrings, RefusesANonScalarItemByItsPathAndLine) {
  EXPECT_EQ(error_of(reader_.strings(list("list:\n  - a\n  - {b: 1}\n"), false)),
            "test.yaml:3: list[1]: expected a string");
  EXPECT_EQ(error_of(reader_.strings(list("list:\n  - [a]\n"), false)),
            "test.yaml:2: list[0]: expected a string");
}

TEST_F(ReaderStrings, CheckMayNormaliseEachItem) {
  std::vector<std::string> seen;
  const auto lower = [&](const Field& item, std::string& text) -> Result<void> {
    seen.push_back(item.path + "@" + std::to_string(item.line) + "=" + text);
    for (char& c : text) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return {};
  };
  auto result = reader_.strings(list("list:\n  - GET\n  - Post\n"), false, lower);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(*result, (Strings{"get", "post"}));
  EXPECT_EQ(seen, (Strings{"list[0]@2=GET", "list[1]@3=Post"}));
}

TEST_F(ReaderStrings, CheckMayRefuseAnItemAndStopsThere) {
  int calls = 0;
  const auto no_x = [&](const Field& item, const std::string& text) -> Result<void> {
    ++calls;
    if (text == "x") {
      return reader_.error(item, "x is not allowed");
    }
    return {};
  };
  auto result = reader_.strings(list("list:\n  - a\n  - b\n  - x\n  - {bad: item}\n"), false, no_x);
  EXPECT_EQ(error_of(result), "test.yaml:4: list[2]: x is not allowed");
  EXPECT_EQ(calls, 3);
}

TEST_F(ReaderStrings, ChoicesReadEachItemAsOneOf) {
  static constexpr std::array<std::string_view, 2> kChoices = {"br", "gzip"};
  auto result = reader_.strings(list("list: [gzip, br]\n"), true, kChoices);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(*result, (Strings{"gzip", "br"}));
  EXPECT_EQ(error_of(reader_.strings(list("list:\n  - br\n  - zip\n"), true, kChoices)),
            "test.yaml:3: list[1]: unknown value 'zip' (expected br, gzip)");
  // A non-scalar item gets one_of's message too (it names the choices).
  EXPECT_EQ(error_of(reader_.strings(list("list:\n  - [br]\n"), true, kChoices)),
            "test.yaml:2: list[0]: expected one of br, gzip");
  int calls = 0;
  const auto count = [&](const Field&, std::string&) -> Result<void> {
    ++calls;
    return {};
  };
  ASSERT_TRUE(reader_.strings(list("list: [br, gzip, br]\n"), true, kChoices, count));
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace nexus::control::config_internal
