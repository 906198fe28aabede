#include "http/filter/arena.h"

namespace nexus::filter {

void* Arena::refill(size_t size, size_t align) {
  if (size > kBlockBytes / 4) {  // would waste most of a block: straight from the resource
    return resource_.allocate(size, align);
  }
  next_ = static_cast<char*>(resource_.allocate(kBlockBytes, alignof(std::max_align_t)));
  end_ = next_ + kBlockBytes;
  return allocate(size, align);
}

}  // namespace nexus::filter
