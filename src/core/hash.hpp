// Non-cryptographic 64-bit hashing: checksums of stored data and fingerprints of input files.
// They detect damage and changes, not tampering.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace popsim::core {

// The SplitMix64 finaliser: a bijective mix of 64 bits.
inline constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// An order-dependent hash of a sequence of values; each value is length-prefixed, so that
// ("ab", "c") and ("a", "bc") differ.
class Fingerprint {
 public:
  Fingerprint& add(std::string_view bytes) {
    add(static_cast<std::uint64_t>(bytes.size()));
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, bytes.data() + i, 8);
      step(word);
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
    step(tail);
    return *this;
  }
  Fingerprint& add(std::uint64_t value) {
    step(value);
    return *this;
  }
  Fingerprint& add(std::int64_t value) { return add(static_cast<std::uint64_t>(value)); }
  Fingerprint& add(double value) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    return add(bits);
  }
  std::uint64_t value() const { return mix64(state_); }

 private:
  void step(std::uint64_t word) { state_ = mix64(state_ ^ word) + 0x632BE59BD9B4E019ull; }
  std::uint64_t state_ = 0x8A5CD789635D2DFFull;
};

}  // namespace popsim::core
