#include "governance/governance.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "governance/key_secret.h"
#include "governance/redis_limiter.h"

namespace nexus::governance {
namespace {

UnixMillis wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kMinuteMs = 60'000;

std::string scope_key(ScopeKind kind, std::string_view id) {
  std::string key(1, static_cast<char>('0' + static_cast<int>(kind)));
  key += id;
  return key;
}

// The pepper of a SQLite store without a pepper_file: made once, next to the database, readable
// by its owner only.
Result<std::string> read_or_make_pepper(const std::filesystem::path& file) {
  std::error_code error;
  if (std::filesystem::exists(file, error)) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::string pepper = text.str();
    while (!pepper.empty() && (pepper.back() == '\n' || pepper.back() == '\r')) {
      pepper.pop_back();
    }
    if (pepper.size() < 16) {
      return fail(ErrorCode::kInvalidConfig,
                  "the key pepper in " + file.string() + " is shorter than 16 characters");
    }
    return pepper;
  }
  std::filesystem::create_directories(file.parent_path(), error);
  std::string pepper = generate_key_secret().substr(kKeyPrefix.size());
  const mode_t old_mask = umask(077);
  std::ofstream out(file);
  out << pepper << '\n';
  out.close();
  umask(old_mask);
  if (!out) {
    return fail(ErrorCode::kInvalidConfig, "cannot write the key pepper to " + file.string());
  }
  return pepper;
}

}  // namespace

bool Grant::allows_model(std::string_view model) const {
  return allowed_models.empty() || std::ranges::find(allowed_models, model) != allowed_models.end();
}

Admission& Admission::operator=(Admission&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    grant_ = std::move(other.grant_);
    demand_ = std::move(other.demand_);
  }
  return *this;
}

void Admission::release() {
  if (grant_ != nullptr && owner_ != nullptr) {
    owner_->release(*this);
  }
}

Governance::Governance(Passkey /*only open() makes one*/, const config::Governance& config,
                       std::unique_ptr<Store> store, std::string pepper,
                       std::shared_ptr<const TimeZone> zone)
    : config_(config),
      store_(std::move(store)),
      pepper_(std::move(pepper)),
      zone_(std::move(zone)),
      ledger_(std::make_unique<LedgerWriter>(*store_, config.ledger_batch)),
      limiter_(make_limiter(config, zone_, *store_)),
      directory_(std::make_shared<const Directory>()) {}

Result<std::unique_ptr<Governance>> Governance::open(const config::Governance& config) {
  if (config.store.starts_with("postgres://") || config.store.starts_with("postgresql://")) {
    // The config requires a pepper_file with a postgres store: the instances sharing it must
    // hash keys alike.
    auto store = open_postgres_store(config.store);
    if (!store) {
      return std::unexpected(std::move(store.error()));
    }
    auto pepper = read_or_make_pepper(config.pepper_file);
    if (!pepper) {
      return std::unexpected(std::move(pepper.error()));
    }
    return open(config, std::move(*store), std::move(*pepper));
  }
  constexpr std::string_view kSqlite = "sqlite:";
  if (!config.store.starts_with(kSqlite)) {
    return fail(ErrorCode::kInvalidConfig,
                "governance.store: expected sqlite:<path> or a postgres:// URL, not " +
                    store_for_logs(config.store));
  }
  const std::filesystem::path path = config.store.substr(kSqlite.size());
  auto store = open_sqlite_store(path.string());
  if (!store) {
    return std::unexpected(std::move(store.error()));
  }
  auto pepper = config.pepper_file.empty() ? read_or_make_pepper(path.parent_path() / "pepper")
                                           : read_or_make_pepper(config.pepper_file);
  if (!pepper) {
    return std::unexpected(std::move(pepper.error()));
  }
  return open(config, std::move(*store), std::move(*pepper));
}

Result<std::unique_ptr<Governance>> Governance::open(const config::Governance& config,
                                                     std::unique_ptr<Store> store,
                                                     std::string pepper) {
  auto zone = TimeZone::load(config.time_zone);
  if (!zone) {
    return std::unexpected(std::move(zone.error()));
  }
  auto governance = std::make_unique<Governance>(Passkey{}, config, std::move(store),
                                                 std::move(pepper), std::move(*zone));
  if (auto loaded = governance->reload_keys(); !loaded) {
    return std::unexpected(std::move(loaded.error()));
  }
  governance->refresher_ = std::thread([g = governance.get()] { g->refresh_loop(); });
  return governance;
}

Governance::~Governance() {
  {
    const std::scoped_lock lock(stop_mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  if (refresher_.joinable()) {
    refresher_.join();
  }
  ledger_.reset();  // writes what is queued
}

void Governance::refresh_loop() {
  std::unique_lock lock(stop_mutex_);
  while (!stop_signal_.wait_for(lock, config_.key_refresh, [this] { return stopping_; })) {
    lock.unlock();
    const auto generation = store_->generation();
    bool changed = false;
    {
      const std::scoped_lock reload(reload_mutex_);
      changed = generation.has_value() && *generation != generation_;
    }
    if (changed) {
      if (auto loaded = reload_keys(); !loaded) {
        spdlog::error("governance: cannot reload the virtual keys: {}", loaded.error().message());
      }
    }
    lock.lock();
  }
}

Result<std::shared_ptr<ScopeState>> Governance::scope_for(ScopeKind kind, const std::string& id,
                                                          const Controls& controls,
                                                          UnixMillis now) {
  std::shared_ptr<ScopeState> state;
  {
    const std::scoped_lock lock(scopes_mutex_);
    auto& slot = scopes_[scope_key(kind, id)];
    if (slot == nullptr) {
      slot = std::make_shared<ScopeState>(kind, id);
    }
    state = slot;
  }
  PeriodBounds period = state->period();
  NanoUsd spent = 0;
  if (controls.budget) {
    const PeriodBounds current = period_bounds(controls.budget->period, now, *zone_);
    if (current.start != period.start || current.end != period.end) {
      // New to this process (or to this period): what the ledger holds is the spend so far.
      auto from_ledger = store_->spend(kind, id, current.start);
      if (!from_ledger) {
        return std::unexpected(std::move(from_ledger.error()));
      }
      period = current;
      spent = *from_ledger;
    }
  }
  state->configure(controls, period, spent);
  return state;
}

Result<void> Governance::reload_keys() {
  const std::scoped_lock reload(reload_mutex_);
  const UnixMillis now = wall_now();
  auto generation = store_->generation();
  auto keys = store_->live_keys(now);
  if (!generation || !keys) {
    return std::unexpected(!generation ? generation.error() : keys.error());
  }
  // Each owner is read once per reload, however many keys it has.
  std::unordered_map<std::string, std::shared_ptr<ScopeState>> owners;
  auto owner_scope = [&](ScopeKind kind,
                         const std::string& id) -> Result<std::shared_ptr<ScopeState>> {
    const std::string key = scope_key(kind, id);
    if (const auto found = owners.find(key); found != owners.end()) {
      return found->second;
    }
    Controls controls;
    if (kind == ScopeKind::kOrg) {
      auto org = store_->get_org(id);
      if (!org) {
        return std::unexpected(std::move(org.error()));
      }
      if (org->has_value()) {
        controls = (*org)->controls;
      }
    } else if (kind == ScopeKind::kTeam) {
      auto team = store_->get_team(id);
      if (!team) {
        return std::unexpected(std::move(team.error()));
      }
      if (team->has_value()) {
        controls = (*team)->controls;
      }
    } else {
      auto user = store_->get_user(id);
      if (!user) {
        return std::unexpected(std::move(user.error()));
      }
      if (user->has_value()) {
        controls = (*user)->controls;
      }
    }
    auto state = scope_for(kind, id, controls, now);
    if (state) {
      owners.emplace(key, *state);
    }
    return state;
  };
  auto directory = std::make_shared<Directory>();
  for (const VirtualKey& key : *keys) {
    auto grant = std::make_shared<Grant>();
    grant->key_id = key.id;
    grant->key_prefix = key.prefix;
    grant->user_id = key.user_id;
    grant->team_id = key.team_id;
    grant->org_id = key.org_id;
    grant->allowed_models = key.allowed_models;
    grant->expires_at = key.expires_at;
    grant->revoked_at = key.revoked_at;
    const bool previous_valid = !key.previous_hash.empty() && key.previous_valid_until > now;
    if (previous_valid) {
      grant->previous_hash = key.previous_hash;
      grant->previous_valid_until = key.previous_valid_until;
    }
    for (const std::string& range : key.allowed_ips) {
      if (auto parsed = parse_cidr(range)) {
        grant->allowed_ips.add(*parsed);
      } else {
        // Checked when the key was written; a row that slipped through allows nothing rather
        // than everything.
        spdlog::error("governance: key {} has an invalid allowed_ips entry \"{}\"", key.id, range);
        grant->allowed_ips.add(CidrRange{.network = {.high = ~0ULL, .low = ~0ULL},
                                         .mask = {.high = ~0ULL, .low = ~0ULL}});
      }
    }
    auto own = scope_for(ScopeKind::kKey, key.id, key.controls, now);
    if (!own) {
      return std::unexpected(std::move(own.error()));
    }
    grant->scopes.push_back(std::move(*own));
    const std::pair<ScopeKind, const std::string*> owners_of_key[] = {
        {ScopeKind::kUser, &key.user_id},
        {ScopeKind::kTeam, &key.team_id},
        {ScopeKind::kOrg, &key.org_id}};
    for (const auto& [kind, id] : owners_of_key) {
      if (id->empty()) {
        continue;
      }
      auto state = owner_scope(kind, *id);
      if (!state) {
        return std::unexpected(std::move(state.error()));
      }
      grant->scopes.push_back(std::move(*state));
    }
    std::shared_ptr<const Grant> shared = std::move(grant);
    if (previous_valid) {
      directory->emplace(key.previous_hash, shared);
    }
    directory->emplace(key.hash, std::move(shared));
  }
  directory_.store(std::move(directory));
  generation_ = *generation;
  return {};
}

Result<std::shared_ptr<const Grant>> Governance::authenticate(std::string_view secret,
                                                              std::string_view client_ip,
                                                              UnixMillis now) const {
  if (!looks_like_key_secret(secret)) {
    return fail(ErrorCode::kUnauthorized,
                "a virtual key (nx-...) is required: send it as Authorization: Bearer <key> or "
                "x-api-key");
  }
  const std::shared_ptr<const Directory> directory = directory_.load();
  const auto found = directory->find(hash_key_secret(pepper_, secret));
  if (found == directory->end()) {
    return fail(ErrorCode::kUnauthorized, "invalid virtual key");
  }
  const Grant& grant = *found->second;
  if (found->first == grant.previous_hash && now >= grant.previous_valid_until) {
    // The key's id, not its prefix: the prefix is the new secret's, not for the old one's holder.
    return fail(ErrorCode::kUnauthorized, "this secret of the virtual key " + grant.key_id +
                                              " was replaced by a rotation; its grace period "
                                              "has ended");
  }
  if (grant.expires_at != 0 && now >= grant.expires_at) {
    return fail(ErrorCode::kUnauthorized,
                "the virtual key " + grant.key_prefix + "... has expired");
  }
  if (grant.revoked_at != 0 && now >= grant.revoked_at) {
    return fail(ErrorCode::kUnauthorized,
                "the virtual key " + grant.key_prefix + "... has been revoked");
  }
  if (!grant.allowed_ips.empty()) {
    const auto address = parse_ip(client_ip);
    if (!address || !grant.allowed_ips.contains(*address)) {
      return fail(ErrorCode::kForbidden, "the virtual key " + grant.key_prefix +
                                             "... may not be used from " + std::string(client_ip));
    }
  }
  return found->second;
}

void Governance::admit(std::shared_ptr<const Grant> grant, std::string_view model, uint64_t tokens,
                       NanoUsd reserve, UnixMillis now, Admitted admitted) {
  if (!grant->allows_model(model)) {
    admitted(std::unexpected(
        Refused{.error = Error(ErrorCode::kForbidden, "the virtual key " + grant->key_prefix +
                                                          "... may not use the model " +
                                                          std::string(model))}));
    return;
  }
  if (ledger_->pending() >= config_.ledger_queue) {
    admitted(std::unexpected(Refused{
        .error =
            Error(ErrorCode::kOverloaded,
                  "the usage ledger is behind; retry shortly (governance.ledger_queue reached)"),
        .retry_after_seconds = 1}));
    return;
  }
  Demand demand{.model = std::string(model),
                .tokens = tokens,
                .reserve = reserve,
                .minute = now / kMinuteMs,
                .id = next_demand_id_.fetch_add(1, std::memory_order_relaxed)};
  const Scopes scopes = grant->scopes;
  limiter_->admit(scopes, demand, now,
                  [this, grant = std::move(grant), demand,
                   admitted = std::move(admitted)](std::optional<Refused> refused) mutable {
                    if (refused) {
                      admitted(std::unexpected(std::move(*refused)));
                      return;
                    }
                    admitted(Admission(*this, std::move(grant), std::move(demand)));
                  });
}

void Governance::settle(Admission& admission, UsageRecord record, LedgerWriter::Done durable) {
  if (!admission.active()) {
    return;
  }
  const auto grant = std::move(admission.grant_);
  limiter_->settle(grant->scopes, admission.demand_, record.usage.total(), record.cost,
                   record.time);
  ledger_->submit(std::move(record), std::move(durable));
}

void Governance::release(Admission& admission) {
  const auto grant = std::move(admission.grant_);
  if (grant == nullptr) {
    return;
  }
  limiter_->settle(grant->scopes, admission.demand_, 0, 0, wall_now());
}

std::optional<ScopeView> Governance::live_view(ScopeKind kind, std::string_view id) const {
  const std::shared_ptr<ScopeState> state = scope(kind, id);
  if (state == nullptr) {
    return std::nullopt;
  }
  return limiter_->view(*state, wall_now());
}

std::shared_ptr<ScopeState> Governance::scope(ScopeKind kind, std::string_view id) const {
  const std::scoped_lock lock(scopes_mutex_);
  const auto found = scopes_.find(scope_key(kind, id));
  return found == scopes_.end() ? nullptr : found->second;
}

}  // namespace nexus::governance
