// Beast/Asio configuration macros shared by every translation unit of the binary that includes
// Beast. cardcore_http sets these as PUBLIC compile definitions; notify/ does not link
// cardcore_http, so its Beast users include this header first. The same program must see one
// definition of beast::string_view, or inline functions (e.g. http::to_string) break the ODR.
// Include it before any Boost header.
#pragma once

#ifndef BOOST_ASIO_NO_DEPRECATED
#define BOOST_ASIO_NO_DEPRECATED
#endif
#ifndef BOOST_BEAST_USE_STD_STRING_VIEW
#define BOOST_BEAST_USE_STD_STRING_VIEW
#endif
