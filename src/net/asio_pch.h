// Precompiled header of nexus_server: the Boost.Asio and OpenSSL headers most of its files use.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
