// Memory for one exchange's filter state: the filters themselves, the slots, and the strings
// they keep (header values they write, copies of the request). Allocation is a pointer bump in
// blocks taken from the heap; everything goes back at once when the exchange ends, so a chain of
// filters costs one or two heap allocations per request instead of dozens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <memory_resource>
#include <string_view>
#include <utility>

namespace nexus::filter {

// Destroys an object made by Arena::make (its memory goes with the arena).
struct ArenaDelete {
  template <typename T>
  void operator()(T* object) const {
    std::destroy_at(object);
  }
};
template <typename T>
using ArenaPtr = std::unique_ptr<T, ArenaDelete>;

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // A copy of `text` that lives until clear().
  std::string_view keep(std::string_view text) {
    if (text.empty()) {
      return {};
    }
    auto* copy = static_cast<char*>(allocate(text.size(), 1));
    std::memcpy(copy, text.data(), text.size());
    return {copy, text.size()};
  }

  // A T in the arena. Destroy every object made here before clear().
  template <typename T, typename... Args>
  ArenaPtr<T> make(Args&&... args) {
    void* memory = allocate(sizeof(T), alignof(T));
    return ArenaPtr<T>(std::construct_at(static_cast<T*>(memory), std::forward<Args>(args)...));
  }

  // Frees everything at once (the objects must be destroyed already).
  void clear() {
    resource_.release();
    next_ = nullptr;
    end_ = nullptr;
  }

 private:
  static constexpr size_t kBlockBytes = 1024;

  // The bump is inline: the resource's allocate() is a virtual call, and a chain makes a dozen
  // small allocations per request.
  void* allocate(size_t size, size_t align) {
    const size_t padding = (align - reinterpret_cast<uintptr_t>(next_) % align) % align;
    if (static_cast<size_t>(end_ - next_) >= size + padding) {
      char* start = next_ + padding;
      next_ = start + size;
      return start;
    }
    return refill(size, align);
  }
  void* refill(size_t size, size_t align);  // takes a new block (or serves a large size directly)

  // Blocks of 1 KiB: one for the everyday filters. They are freed when the exchange ends, so an
  // idle keep-alive connection holds none.
  std::pmr::monotonic_buffer_resource resource_;
  char* next_ = nullptr;  // the free part of the current block
  char* end_ = nullptr;
};

}  // namespace nexus::filter
