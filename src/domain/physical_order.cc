#include "domain/physical_order.h"

namespace cardcore {

std::string_view order_status_code(OrderStatus s) {
  switch (s) {
    case OrderStatus::kOrdered: return "ORDERED";
    case OrderStatus::kDispatched: return "DISPATCHED";
    case OrderStatus::kDelivered: return "DELIVERED";
    case OrderStatus::kReturned: return "RETURNED";
  }
  return "?";
}

std::optional<OrderStatus> parse_order_status(std::string_view code) {
  for (OrderStatus s : {OrderStatus::kOrdered, OrderStatus::kDispatched, OrderStatus::kDelivered,
                        OrderStatus::kReturned}) {
    if (code == order_status_code(s)) return s;
  }
  return std::nullopt;
}

bool order_move_allowed(OrderStatus from, OrderStatus to) {
  using enum OrderStatus;
  switch (from) {
    case kOrdered: return to == kDispatched || to == kReturned;
    case kDispatched: return to == kDelivered || to == kReturned;
    case kDelivered:
    case kReturned: return false;
  }
  return false;
}

}  // namespace cardcore
