// The card status machine (docs/api.md, "Block Card"). Invariant: BL is terminal; AP is never requested by
// a partner; every other move is listed in `check_requested_move`.
//   new virtual card: UL      new physical card: AP
//   AP -> UL (activation: PIN set or explicit unlock)   UL <-> L (temporary lock)
//   UL | L | AP -> BL (permanent)                       same -> same: success, no change
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore {

enum class CardStatus { kActivationInProgress, kUnlocked, kLocked, kBlocked };

std::string_view status_code(CardStatus s);   // "AP", "UL", "L", "BL"
std::string_view status_label(CardStatus s);  // "ACTIVATION_IN_PROGRESS", "ACTIVE", "LOCKED", "BLOCKED"
std::optional<CardStatus> parse_status_code(std::string_view code);  // exact, case-sensitive

// Who moved a card's status: the partner API, the issuer's admin API, or the system itself.
enum class ChangeChannel { kApi, kAdmin, kSystem };
std::string_view channel_code(ChangeChannel c);                      // "API", "ADMIN", "SYSTEM"
std::optional<ChangeChannel> parse_change_channel(std::string_view code);  // exact

// Decides a partner's Block Card request to move a card from `current` to `requested`.
// Returns true when the status changes, false when it already is `requested` (success, no change),
// or an error: kCardBlocked when current is BL (and requested is not BL), kInvalidParameter with
// field "blockCode" when `requested` is AP (never a valid request), kStatusTransition for any
// other move.
Result<bool> check_requested_move(CardStatus current, CardStatus requested);

// Activation by setting a PIN: AP -> UL. Other states are unchanged (returns current).
CardStatus status_after_pin_set(CardStatus current);

}  // namespace cardcore
