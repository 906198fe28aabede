// Which price a configured deployment is charged at, resolved once per config (the snapshot's
// LlmDeployment::price, `nexus prices check`).
#pragma once

#include "llm/pricing/price_table.h"
#include "nexus/config/config.h"

namespace nexus::llm::pricing {

// The deployment's own `price` when it has one; else the config's table entry for its
// provider's kind and its upstream model id (PriceTable::find); else null (unpriced). The
// built-in echo provider answers in-process and costs nothing: a zero price, not null.
// The pointer lives as long as `config` (or the static zero price).
const ModelPrice* deployment_price(const config::Config& config,
                                   const config::Deployment& deployment);

}  // namespace nexus::llm::pricing
