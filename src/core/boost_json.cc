// Boost.JSON, header-only: its implementation is compiled here, in exactly one translation unit
// of the project (a second `#include <boost/json/src.hpp>` would define its symbols twice). Other
// files include <boost/json.hpp> only.
#include <boost/json/src.hpp>
