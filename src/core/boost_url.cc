// Boost.URL, header-only like Boost.JSON (see boost_json.cc): its implementation is compiled
// here, in exactly one translation unit. Other files include the parts of <boost/url/...> they
// use.
#include <boost/url/src.hpp>
