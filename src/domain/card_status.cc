// The card status machine (docs/api.md, "Block Card"). A requested AP is a bad parameter whatever the card's
// state (it is never a partner's to ask for), so it is checked before the state-dependent rules.
#include "domain/card_status.h"

namespace cardcore {

std::string_view status_code(CardStatus s) {
  switch (s) {
    case CardStatus::kActivationInProgress: return "AP";
    case CardStatus::kUnlocked: return "UL";
    case CardStatus::kLocked: return "L";
    case CardStatus::kBlocked: return "BL";
  }
  return "?";
}

std::string_view status_label(CardStatus s) {
  switch (s) {
    case CardStatus::kActivationInProgress: return "ACTIVATION_IN_PROGRESS";
    case CardStatus::kUnlocked: return "ACTIVE";
    case CardStatus::kLocked: return "LOCKED";
    case CardStatus::kBlocked: return "BLOCKED";
  }
  return "?";
}

std::optional<CardStatus> parse_status_code(std::string_view code) {
  for (CardStatus s : {CardStatus::kActivationInProgress, CardStatus::kUnlocked, CardStatus::kLocked,
                       CardStatus::kBlocked}) {
    if (code == status_code(s)) return s;
  }
  return std::nullopt;
}

std::string_view channel_code(ChangeChannel c) {
  switch (c) {
    case ChangeChannel::kApi: return "API";
    case ChangeChannel::kAdmin: return "ADMIN";
    case ChangeChannel::kSystem: return "SYSTEM";
  }
  return "?";
}

std::optional<ChangeChannel> parse_change_channel(std::string_view code) {
  for (ChangeChannel c : {ChangeChannel::kApi, ChangeChannel::kAdmin, ChangeChannel::kSystem}) {
    if (code == channel_code(c)) return c;
  }
  return std::nullopt;
}

Result<bool> check_requested_move(CardStatus current, CardStatus requested) {
  using enum CardStatus;
  if (requested == kActivationInProgress) {
    return fail(code::kInvalidParameter, "blockCode: AP cannot be requested", "blockCode");
  }
  if (current == requested) return false;
  if (current == kBlocked) {
    return fail(code::kCardBlocked, "blockCode: card is permanently blocked", "blockCode");
  }
  const bool allowed = requested == kBlocked                                 // UL | L | AP -> BL
                       || (current == kActivationInProgress && requested == kUnlocked)
                       || (current == kUnlocked && requested == kLocked)
                       || (current == kLocked && requested == kUnlocked);
  if (!allowed) {
    return fail(code::kStatusTransition,
                "blockCode: cannot move card from " + std::string(status_code(current)) + " to " +
                    std::string(status_code(requested)),
                "blockCode");
  }
  return true;
}

CardStatus status_after_pin_set(CardStatus current) {
  return current == CardStatus::kActivationInProgress ? CardStatus::kUnlocked : current;
}

}  // namespace cardcore
