// The shipping status machine of a physical card order. Invariant: an order starts ORDERED and
// moves only forward: ORDERED -> DISPATCHED -> DELIVERED, and ORDERED | DISPATCHED -> RETURNED.
// DELIVERED and RETURNED are final (a RETURNED order lets the card be ordered again).
#pragma once

#include <optional>
#include <string_view>

namespace cardcore {

enum class OrderStatus { kOrdered, kDispatched, kDelivered, kReturned };

std::string_view order_status_code(OrderStatus s);  // "ORDERED", "DISPATCHED", "DELIVERED", "RETURNED"
std::optional<OrderStatus> parse_order_status(std::string_view code);  // exact, case-sensitive

// Whether the machine allows `from` -> `to`.
bool order_move_allowed(OrderStatus from, OrderStatus to);

}  // namespace cardcore
