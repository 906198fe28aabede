// The routing strategies of a model group: which of the deployments that may take a request
// (not resting, able to serve it, under their limits; the caller filters) gets it.
#pragma once

#include <random>
#include <span>
#include <string_view>

#include "llm/pricing/price_table.h"
#include "llm/routing/deployment_state.h"
#include "llm/routing/request_needs.h"
#include "llm/routing/usage_window.h"
#include "nexus/config/config.h"

namespace nexus::llm::routing {

// One deployment that may take the request.
struct Candidate {
  const config::Deployment* deployment;
  DeploymentState* state;  // this worker's
  UsageWindow* usage;      // all workers'
  // What it charges (llm/pricing/deployment_price.h, resolved in the snapshot); null: unpriced.
  const pricing::ModelPrice* price = nullptr;
};

// The position in `candidates` (not empty) of the one `group.strategy` picks:
// - weighted: at random, in proportion to the weights;
// - round_robin: smooth weighted round robin (nginx's), in proportion to the weights;
// - least_busy: the fewest requests in flight from this worker, ties at random;
// - least_latency: the lowest moving average of time to first token (streams) or of the whole
//   answer; a deployment never measured first; and a share (`exploration`) at random, so that
//   the slower ones keep being measured and a recovered one is noticed;
// - cost: the lowest cost (pricing::cost) of the request's estimated tokens: its prompt at the
//   uncached input rate, max_tokens (or 500) of output; deployments slower than
//   `latency_ceiling` only when all are; unpriced ones last;
// - usage: the lowest share of its rpm/tpm used over the last minute.
size_t pick(const config::Model& group, std::span<const Candidate> candidates,
            const RequestNeeds& needs, std::minstd_rand& random, Clock::time_point now);

// The variant of an A/B split for a user (or key) `sticky_key`: the same key always gets the
// same variant while the split is unchanged, and the shares follow the percentages. Variants
// are over `split` as given (percentages need not add up to 100: a left-out one's share is
// spread over the others).
size_t pick_variant(std::span<const config::Variant> split, std::string_view sticky_key);

}  // namespace nexus::llm::routing
