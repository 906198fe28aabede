// The arguments of a function call that Vertex AI streams in pieces (when a request sets
// toolConfig.functionCallingConfig.streamFunctionCallArguments): each piece is a partialArgs
// entry {jsonPath, stringValue | numberValue | boolValue | nullValue, willContinue}, and a
// string continues at the same path while its willContinue is true.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>

namespace nexus::providers::gemini {

class PartialArguments {
 public:
  // Sets one entry's value at its path ("$", then ".key", "['key']" or "[n]" steps), appending
  // a string to the string already there. False when the path cannot be read or followed (a
  // step into a value of another type, an index over the bound), is "$" alone or deeper than
  // 32 steps, or the arguments grow too big (what they allocate is counted).
  bool apply(const boost::json::object& entry);

  // Starts over with `args` (a functionCall's own `args` object, or empty).
  void reset(const boost::json::object* args);

  [[nodiscard]] std::string json() const;

 private:
  boost::json::value* step_into(boost::json::value& at, std::string_view& path);

  boost::json::value root_ = boost::json::object();
  size_t bytes_ = 0;  // how much the entries brought, bounded
};

}  // namespace nexus::providers::gemini
