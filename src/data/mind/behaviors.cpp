#include "data/mind/behaviors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "core/error.hpp"

namespace rsdist::mind {
namespace {

// Turns a behaviors file's rows into impressions, resolving news ids under the missing_news option.
class ImpressionBuilder {
 public:
  ImpressionBuilder(const BehaviorsTable& table, const Dictionary& users, const NewsLookup& news,
                    const BehaviorOptions& options, MissingNewsReport& report)
      : table_(table), users_(users), lookup_(news), options_(options), report_(report) {
    RSDIST_CHECK(options.max_history_num > 0, "max_history_num must be positive, got {}",
                 options.max_history_num);
  }

  // Appends row `r` to `impressions`; `known_users_only` makes an unknown user an error (train,
  // whose users the dictionary was built from) instead of <UNK>.
  void add(std::size_t r, bool known_users_only, ImpressionTable& impressions) {
    const BehaviorRow& row = table_.rows[r];
    affected_ = false;
    std::int32_t user = users_.find(row.user_id);
    if (user < 0) {
      RSDIST_CHECK(!known_users_only,
                   "{}:{}: user '{}' is not in the user dictionary built from "
                   "the train behaviors",
                   table_.path, row.line, row.user_id);
      user = 0;
    }
    impressions.source_line.push_back(row.line);
    impressions.user.push_back(user);
    history_.clear();
    for (std::uint32_t k = row.history_begin; k < row.history_end; ++k) {
      const std::int32_t index = resolve(table_.history_ids[k], row.line, /*in_history=*/true);
      if (index >= 0) history_.push_back(index);
    }
    const std::size_t kept =
        std::min(history_.size(), static_cast<std::size_t>(options_.max_history_num));
    impressions.history_news.insert(impressions.history_news.end(),
                                    history_.end() - static_cast<std::ptrdiff_t>(kept),
                                    history_.end());
    impressions.history_offsets.push_back(
        static_cast<std::int64_t>(impressions.history_news.size()));
  }

  // The news index of a candidate, or -1 when it is missing and skipped.
  std::int32_t candidate(std::uint32_t k, std::int64_t line) {
    return resolve(table_.impression_ids[k], line, /*in_history=*/false);
  }

  // Call once per row after add() and its candidate() calls.
  void finish_row() {
    if (affected_) ++report_.impressions_affected;
  }

 private:
  std::int32_t resolve(std::string_view id, std::int64_t line, bool in_history) {
    const std::int32_t index = lookup_.find(id);
    if (index >= 0) return index;
    std::string message =
        fmt::format("{}:{}: news id '{}' in the {} is not in any news.tsv", table_.path, line, id,
                    in_history ? "history" : "impressions");
    RSDIST_CHECK(options_.missing_news == MissingNews::kSkip,
                 "{} (set missing_news=skip to drop and count such ids)", message);
    ++(in_history ? report_.history_ids : report_.impression_ids);
    if (report_.first_messages.size() < MissingNewsReport::kMaxMessages) {
      report_.first_messages.push_back(std::move(message));
    }
    affected_ = true;
    return -1;
  }

  const BehaviorsTable& table_;
  const Dictionary& users_;
  const NewsLookup& lookup_;
  const BehaviorOptions& options_;
  MissingNewsReport& report_;
  std::vector<std::int32_t> history_;
  bool affected_ = false;
};

}  // namespace

NewsLookup::NewsLookup(const Dictionary& news) {
  index_.reserve(news.names.size());
  for (std::size_t i = 0; i < news.names.size(); ++i) {
    index_.emplace(news.names[i], static_cast<std::int32_t>(i));
  }
}

void MissingNewsReport::merge(const MissingNewsReport& other) {
  history_ids += other.history_ids;
  impression_ids += other.impression_ids;
  impressions_affected += other.impressions_affected;
  for (const auto& m : other.first_messages) {
    if (first_messages.size() < kMaxMessages) first_messages.push_back(m);
  }
}

TrainSamples build_train_samples(const BehaviorsTable& behaviors, const Dictionary& users,
                                 const Dictionary& news, const BehaviorOptions& options) {
  return build_train_samples(behaviors, users, NewsLookup(news), options, 0);
}

EvalSamples build_eval_samples(const BehaviorsTable& behaviors, const Dictionary& users,
                               const Dictionary& news, const BehaviorOptions& options) {
  return build_eval_samples(behaviors, users, NewsLookup(news), options, 0);
}

TrainSamples build_train_samples(const BehaviorsTable& behaviors, const Dictionary& users,
                                 const NewsLookup& news, const BehaviorOptions& options,
                                 std::int64_t impression_base) {
  TrainSamples samples;
  ImpressionBuilder builder(behaviors, users, news, options, samples.missing);
  for (std::size_t r = 0; r < behaviors.rows.size(); ++r) {
    const BehaviorRow& row = behaviors.rows[r];
    builder.add(r, /*known_users_only=*/true, samples.impressions);
    for (std::uint32_t k = row.impressions_begin; k < row.impressions_end; ++k) {
      const std::int8_t label = behaviors.labels[k];
      RSDIST_CHECK(label >= 0,
                   "{}:{}: train candidate '{}' has no label; train behaviors need "
                   "'newsId-1' (clicked) or 'newsId-0'",
                   behaviors.path, row.line, behaviors.impression_ids[k]);
      const std::int32_t index = builder.candidate(k, row.line);
      if (index < 0) continue;
      if (label == 1) {
        samples.sample_impression.push_back(static_cast<std::int32_t>(impression_base + r));
        samples.positive_news.push_back(index);
      } else {
        samples.negative_news.push_back(index);
      }
    }
    samples.negative_offsets.push_back(static_cast<std::int64_t>(samples.negative_news.size()));
    builder.finish_row();
  }
  return samples;
}

EvalSamples build_eval_samples(const BehaviorsTable& behaviors, const Dictionary& users,
                               const NewsLookup& news, const BehaviorOptions& options,
                               std::int64_t impression_base) {
  EvalSamples samples;
  ImpressionBuilder builder(behaviors, users, news, options, samples.missing);
  samples.candidate_impression.reserve(behaviors.impression_ids.size());
  samples.candidate_news.reserve(behaviors.impression_ids.size());
  samples.label.reserve(behaviors.impression_ids.size());
  for (std::size_t r = 0; r < behaviors.rows.size(); ++r) {
    const BehaviorRow& row = behaviors.rows[r];
    builder.add(r, /*known_users_only=*/false, samples.impressions);
    for (std::uint32_t k = row.impressions_begin; k < row.impressions_end; ++k) {
      const std::int32_t index = builder.candidate(k, row.line);
      if (index < 0) continue;
      samples.candidate_impression.push_back(static_cast<std::int32_t>(impression_base + r));
      samples.candidate_news.push_back(index);
      samples.label.push_back(behaviors.labels[k]);
    }
    builder.finish_row();
  }
  return samples;
}

}  // namespace rsdist::mind
