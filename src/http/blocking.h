// Runs blocking work off the I/O threads. A unit of work waits for its durable commit, and under
// group commit that commit is shared by every unit that arrived meanwhile: the more requests wait
// at once, the more share one fsync. So a request that touches the store runs on a pool of
// worker threads, and the connection's coroutine is resumed on its own executor when the answer
// is ready; the I/O threads keep reading, writing and parsing for every other connection.
#pragma once

#include <boost/asio.hpp>
#include <exception>
#include <type_traits>
#include <utility>

namespace cardcore::http {

// co_await run_blocking(pool, f): f() on a thread of `pool`; resumes the caller on its own
// executor with the result, or rethrows what f threw.
template <class F>
auto run_blocking(boost::asio::thread_pool& pool, F f) -> boost::asio::awaitable<std::invoke_result_t<F&>> {
  namespace asio = boost::asio;
  using R = std::invoke_result_t<F&>;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, R)>(
      [&pool, f = std::move(f)](auto handler) mutable {
        asio::post(pool, [f = std::move(f), handler = std::move(handler)]() mutable {
          std::exception_ptr error;
          R result{};
          try {
            result = f();
          } catch (...) {
            error = std::current_exception();
          }
          auto ex = asio::get_associated_executor(handler);
          asio::post(ex, [handler = std::move(handler), error, result = std::move(result)]() mutable {
            std::move(handler)(error, std::move(result));
          });
        });
      },
      asio::use_awaitable);
}

}  // namespace cardcore::http
