#include "http/filter/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "http/filter/slots.h"

namespace nexus::filter {
namespace {

TEST(Arena, KeptTextOutlivesItsSourceUntilCleared) {
  Arena arena;
  std::string_view kept;
  {
    std::string source(3000, 'x');  // larger than the first block
    source.front() = 'a';
    kept = arena.keep(source);
  }
  const std::string_view small = arena.keep("id-1");
  EXPECT_EQ(kept.size(), 3000u);
  EXPECT_EQ(kept.front(), 'a');
  EXPECT_EQ(small, "id-1");
  EXPECT_TRUE(arena.keep("").empty());
  arena.clear();
  EXPECT_EQ(arena.keep("after"), "after");  // usable again after clear()
}

// Odd-sized text and aligned objects interleaved, across several blocks: every object is aligned
// and nothing written later overwrites what was kept earlier.
TEST(Arena, SmallAllocationsAcrossBlocksStayAlignedAndIntact) {
  struct alignas(16) Wide {
    explicit Wide(int value) : value(value) {}
    int value;
  };
  Arena arena;
  std::vector<std::string_view> texts;
  std::vector<ArenaPtr<Wide>> objects;
  for (int i = 0; i < 200; ++i) {
    texts.push_back(
        arena.keep(std::string(static_cast<size_t>(i % 7 + 1), static_cast<char>('a' + i % 26))));
    objects.push_back(arena.make<Wide>(i));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(objects.back().get()) % alignof(Wide), 0u);
  }
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(texts[static_cast<size_t>(i)],
              std::string(static_cast<size_t>(i % 7 + 1), static_cast<char>('a' + i % 26)));
    EXPECT_EQ(objects[static_cast<size_t>(i)]->value, i);
  }
  objects.clear();
  arena.clear();
}

struct Counted {
  explicit Counted(int& live) : live(live) { ++live; }
  virtual ~Counted() { --live; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;
  int& live;
};
struct DerivedCounted final : Counted {
  explicit DerivedCounted(int& live, std::string text) : Counted(live), text(std::move(text)) {}
  std::string text;  // owns heap memory: ASan reports it if the destructor did not run
};

TEST(Arena, MadeObjectsAreDestroyedThroughTheirBase) {
  Arena arena;
  int live = 0;
  {
    ArenaPtr<Counted> object =
        arena.make<DerivedCounted>(live, std::string(100, 'y'));  // past the SSO buffer
    EXPECT_EQ(live, 1);
    EXPECT_EQ(static_cast<DerivedCounted&>(*object).text.size(), 100u);
  }
  EXPECT_EQ(live, 0);
  arena.clear();
}

TEST(Slots, ClearDestroysTheValuesAndTheSlotsCanBeFilledAgain) {
  static const SlotKey<std::string> kKey;
  Arena arena;
  Slots slots(arena);
  EXPECT_EQ(slots.get(kKey), nullptr);
  slots.emplace(kKey, std::string(200, 'z'));
  ASSERT_NE(slots.get(kKey), nullptr);
  EXPECT_EQ(slots.get(kKey)->size(), 200u);
  slots.emplace(kKey, "replaced");
  EXPECT_EQ(*slots.get(kKey), "replaced");
  slots.clear();
  arena.clear();
  EXPECT_EQ(slots.get(kKey), nullptr);
  slots.emplace(kKey, "again");
  EXPECT_EQ(*slots.get(kKey), "again");
  slots.clear();
}

}  // namespace
}  // namespace nexus::filter
