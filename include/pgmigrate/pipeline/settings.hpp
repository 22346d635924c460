#pragma once
// Step 3: fast-restore settings on the target (fsync, synchronous_commit, full_page_writes off,
// maintenance_work_mem 2GB, checkpoint_completion_target 0.9) via ALTER SYSTEM + reload.
// Each setting's previous postgresql.auto.conf value is saved durably before anything changes,
// and put back exactly (ALTER SYSTEM SET old value, or RESET when it had none).
#include <optional>
#include <string>
#include <vector>

namespace pgmigrate::pipeline {

class Context;

struct FastRestoreSetting {
    const char* name;
    const char* value;
};
const std::vector<FastRestoreSetting>& fast_restore_settings();

class TargetSettings {
  public:
    explicit TargetSettings(Context& ctx) : ctx_(ctx) {}
    // Puts back settings that an earlier, killed run left changed. Safe to call always.
    void restore_leftover();
    // Saves the current values, then applies the fast-restore settings.
    void apply();
    // Puts the saved values back (no-op when nothing was applied). Never throws; logs instead.
    void restore() noexcept;

  private:
    void restore_from_file();
    Context& ctx_;
};

}  // namespace pgmigrate::pipeline
