// Typed per-request state that filters share without string maps: a filter that produces a value
// (auth: the identity) stores it under a SlotKey<T>, one that consumes it (rate_limit) reads it
// with the same key. Keys are created once, at static-initialisation time, in the header of the
// type they carry; looking a slot up is an index into a small vector. Values live in the
// exchange's arena.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "http/filter/arena.h"

namespace nexus::filter {

namespace slots_internal {
size_t next_slot_index();
}

template <typename T>
class SlotKey {
 public:
  SlotKey() : index_(slots_internal::next_slot_index()) {}
  [[nodiscard]] size_t index() const { return index_; }

 private:
  size_t index_;
};

class Slots {
 public:
  explicit Slots(Arena& arena) : arena_(&arena) {}

  // Stores a new value (replacing any earlier one) and returns it.
  template <typename T, typename... Args>
  T& emplace(const SlotKey<T>& key, Args&&... args) {
    if (values_.size() <= key.index()) {
      values_.resize(key.index() + 1);
    }
    auto holder = arena_->make<Holder<T>>(std::forward<Args>(args)...);
    T& value = holder->value;
    values_[key.index()] = std::move(holder);
    return value;
  }

  // The value stored under `key`, or nullptr.
  template <typename T>
  [[nodiscard]] const T* get(const SlotKey<T>& key) const {
    if (key.index() >= values_.size() || !values_[key.index()]) {
      return nullptr;
    }
    return &static_cast<const Holder<T>&>(*values_[key.index()]).value;
  }

  // Destroys the values (before their arena is cleared); keeps the vector's room.
  void clear() {
    for (auto& value : values_) {
      value.reset();
    }
  }

 private:
  struct HolderBase {
    virtual ~HolderBase() = default;
  };
  template <typename T>
  struct Holder final : HolderBase {
    template <typename... Args>
    explicit Holder(Args&&... args) : value(std::forward<Args>(args)...) {}
    T value;
  };
  Arena* arena_;
  std::vector<ArenaPtr<HolderBase>> values_;
};

}  // namespace nexus::filter
