// Namespace aliases for the network layer. Include only from src/net: Asio and Beast stay out of
// every public header.
#pragma once

#include <utility>  // before any Asio header: see pch.hpp

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace peershare::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
}  // namespace peershare::net
