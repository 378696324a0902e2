// vault.h: sealing, AAD binding, tamper detection, rotation and key-text parsing.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "security/crypto.h"
#include "security/vault.h"

namespace cardcore {
namespace {

const std::string kKeyA = "ka:" + crypto::base64_encode(std::string(32, 'A'));
const std::string kKeyB = "kb:" + crypto::base64_encode(std::string(32, 'B'));

Vault make(const std::string& text) {
  Result<Vault> v = Vault::from_text(text);
  EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().message);
  return std::move(v.value());
}

TEST(Vault, SealOpenRoundTrip) {
  const Vault v = make(kKeyA);
  const Sealed s = v.seal("4111111111111111", "card:CEK123");
  EXPECT_EQ(s.key_id, "ka");
  EXPECT_EQ(s.blob.size(), 12u + 16u + 16u);
  EXPECT_EQ(v.open(s, "card:CEK123").value(), "4111111111111111");
  EXPECT_NE(v.seal("4111111111111111", "card:CEK123").blob, s.blob);  // fresh nonce each time
  EXPECT_EQ(v.open(v.seal("", ""), "").value(), "");
}

TEST(Vault, WrongAadRefused) {
  const Vault v = make(kKeyA);
  const Sealed s = v.seal("4111111111111111", "card:CEK123");
  EXPECT_FALSE(v.open(s, "card:CEK124").has_value());
}

TEST(Vault, TamperedBlobRefused) {
  const Vault v = make(kKeyA);
  const Sealed s = v.seal("4111111111111111", "aad");
  for (size_t i = 0; i < s.blob.size(); ++i) {  // nonce, ciphertext and tag are all covered
    Sealed t = s;
    t.blob[i] ^= 0x01;
    EXPECT_FALSE(v.open(t, "aad").has_value()) << "byte " << i;
  }
  Sealed shortened = s;
  shortened.blob.resize(20);
  EXPECT_FALSE(v.open(shortened, "aad").has_value());
}

TEST(Vault, KeyRotation) {
  const Vault old_vault = make(kKeyA);
  const Sealed old_sealed = old_vault.seal("secret", "aad");

  const Vault rotated = make(kKeyA + ";" + kKeyB);
  EXPECT_EQ(rotated.key_count(), 2u);
  EXPECT_EQ(rotated.active_key_id(), "kb");
  EXPECT_EQ(rotated.open(old_sealed, "aad").value(), "secret");
  const Sealed new_sealed = rotated.seal("secret", "aad");
  EXPECT_EQ(new_sealed.key_id, "kb");
  EXPECT_FALSE(old_vault.open(new_sealed, "aad").has_value());  // unknown key id kb
}

TEST(Vault, UnknownKeyIdRefused) {
  const Vault v = make(kKeyA);
  Sealed s = v.seal("x", "aad");
  s.key_id = "nope";
  EXPECT_FALSE(v.open(s, "aad").has_value());
}

TEST(Vault, KeyTextWithCommentsAndNewlines) {
  const Vault v =
      make("# keys\n\n" + kKeyA + "\r\n  # old comment ; not an entry\n" + kKeyB + "\n");
  EXPECT_EQ(v.key_count(), 2u);
  EXPECT_EQ(v.active_key_id(), "kb");
}

TEST(Vault, BadKeyTextRefusedWithoutLeakingKeyMaterial) {
  const std::string key32 = crypto::base64_encode(std::string(32, 'Z'));
  const std::string key31 = crypto::base64_encode(std::string(31, 'Z'));
  for (const std::string& bad :
       {std::string(""), std::string("# only a comment\n"), key32,  // no id
        "k1:" + key31, "k1:" + key32 + "!", "bad id:" + key32, ":" + key32,
        std::string(33, 'k') + ":" + key32, "k1:" + key32 + ";k1:" + key32}) {
    const Result<Vault> v = Vault::from_text(bad);
    ASSERT_FALSE(v.has_value()) << bad;
    EXPECT_EQ(v.error().message.find(key32), std::string::npos) << v.error().message;
    EXPECT_EQ(v.error().message.find(key31), std::string::npos) << v.error().message;
    EXPECT_EQ(v.error().message.find("WlpaWlpa"), std::string::npos) << v.error().message;
  }
}

TEST(Vault, NewKeyEntryParses) {
  const std::string entry = Vault::new_key_entry();
  const Vault v = make(entry);
  EXPECT_EQ(v.key_count(), 1u);
  EXPECT_EQ(entry.substr(0, entry.find(':')), v.active_key_id());
  EXPECT_NE(Vault::new_key_entry(), entry);
}

TEST(Vault, LoadOrCreateWritesPrivateFileThenReusesIt) {
  ::unsetenv("CARDCORE_VAULT_KEYS");
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("cardcore-vault-" + crypto::random_hex(8));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "vault.keys").string();

  Result<Vault> created = Vault::load_or_create(file);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  Result<Vault> loaded = Vault::load_or_create(file);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->active_key_id(), created->active_key_id());
  EXPECT_EQ(loaded->open(created->seal("pan", "aad"), "aad").value(), "pan");

  ::setenv("CARDCORE_VAULT_KEYS", kKeyB.c_str(), 1);
  Result<Vault> from_env = Vault::load_or_create(file);
  ::unsetenv("CARDCORE_VAULT_KEYS");
  ASSERT_TRUE(from_env.has_value());
  EXPECT_EQ(from_env->active_key_id(), "kb");

  EXPECT_FALSE(Vault::load_or_create((dir / "missing-dir" / "vault.keys").string()).has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cardcore
