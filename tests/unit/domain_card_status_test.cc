#include <gtest/gtest.h>

#include "domain/card_status.h"

namespace cardcore {
namespace {

using enum CardStatus;

TEST(CardStatus, CodesAndLabelsRoundTrip) {
  for (CardStatus s : {kActivationInProgress, kUnlocked, kLocked, kBlocked}) {
    EXPECT_EQ(parse_status_code(status_code(s)), s);
  }
  EXPECT_EQ(status_label(kUnlocked), "ACTIVE");
  EXPECT_EQ(status_label(kActivationInProgress), "ACTIVATION_IN_PROGRESS");
  EXPECT_EQ(status_label(kLocked), "LOCKED");
  EXPECT_EQ(status_label(kBlocked), "BLOCKED");
  for (std::string_view bad : {"", "ul", "Ul", "UL ", "B", "XX", "ACTIVE"}) {
    EXPECT_EQ(parse_status_code(bad), std::nullopt) << bad;
  }
}

// Every ordered pair of the four states.
enum class Expect { kChanged, kNoChange, kApRequested, kBlocked, kBadMove };
struct MoveCase { CardStatus from, to; Expect expect; };
void PrintTo(const MoveCase& c, std::ostream* os) { *os << status_code(c.from) << "->" << status_code(c.to); }
constexpr MoveCase kMoves[] = {
    {kActivationInProgress, kActivationInProgress, Expect::kApRequested},
    {kActivationInProgress, kUnlocked, Expect::kChanged},
    {kActivationInProgress, kLocked, Expect::kBadMove},
    {kActivationInProgress, kBlocked, Expect::kChanged},
    {kUnlocked, kActivationInProgress, Expect::kApRequested},
    {kUnlocked, kUnlocked, Expect::kNoChange},
    {kUnlocked, kLocked, Expect::kChanged},
    {kUnlocked, kBlocked, Expect::kChanged},
    {kLocked, kActivationInProgress, Expect::kApRequested},
    {kLocked, kUnlocked, Expect::kChanged},
    {kLocked, kLocked, Expect::kNoChange},
    {kLocked, kBlocked, Expect::kChanged},
    {kBlocked, kActivationInProgress, Expect::kApRequested},
    {kBlocked, kUnlocked, Expect::kBlocked},
    {kBlocked, kLocked, Expect::kBlocked},
    {kBlocked, kBlocked, Expect::kNoChange},
};

class StatusMove : public testing::TestWithParam<MoveCase> {};

TEST_P(StatusMove, FollowsContract) {
  const MoveCase c = GetParam();
  const Result<bool> r = check_requested_move(c.from, c.to);
  switch (c.expect) {
    case Expect::kChanged:
      ASSERT_TRUE(r.has_value()) << r.error().message;
      EXPECT_TRUE(*r);
      break;
    case Expect::kNoChange:
      ASSERT_TRUE(r.has_value()) << r.error().message;
      EXPECT_FALSE(*r);
      break;
    case Expect::kApRequested:
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code, code::kInvalidParameter);
      EXPECT_EQ(r.error().field, "blockCode");
      EXPECT_EQ(r.error().message, "blockCode: AP cannot be requested");
      break;
    case Expect::kBlocked:
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code, code::kCardBlocked);
      EXPECT_EQ(r.error().message, "blockCode: card is permanently blocked");
      break;
    case Expect::kBadMove:
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code, code::kStatusTransition);
      EXPECT_NE(r.error().message.find(status_code(c.from)), std::string::npos) << r.error().message;
      EXPECT_NE(r.error().message.find(status_code(c.to)), std::string::npos) << r.error().message;
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(AllPairs, StatusMove, testing::ValuesIn(kMoves),
                         [](const testing::TestParamInfo<MoveCase>& info) {
                           return std::string(status_code(info.param.from)) + "_to_" +
                                  std::string(status_code(info.param.to));
                         });

TEST(CardStatus, PinSetActivatesOnlyAp) {
  EXPECT_EQ(status_after_pin_set(kActivationInProgress), kUnlocked);
  EXPECT_EQ(status_after_pin_set(kUnlocked), kUnlocked);
  EXPECT_EQ(status_after_pin_set(kLocked), kLocked);
  EXPECT_EQ(status_after_pin_set(kBlocked), kBlocked);
}

}  // namespace
}  // namespace cardcore
