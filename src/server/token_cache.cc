#include "server/token_cache.h"

namespace nexus::server {

TokenCache::Step TokenCache::next_step(const Entry& entry, Clock::time_point now) {
  const bool valid = !entry.token.empty() && now < entry.expires_at;
  if (valid && now < entry.refresh_at) {
    return Step::kUse;
  }
  if (entry.fetch) {
    return valid ? Step::kUse : Step::kWait;
  }
  return Step::kFetch;
}

}  // namespace nexus::server
