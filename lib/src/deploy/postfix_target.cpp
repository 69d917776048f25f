// Placeholder until the Postfix target lands: commits are recorded only.
#include <certtool/error.hpp>
#include <certtool/postfix_target.hpp>

namespace certtool::deploy {

void check_postfix_directory(const std::filesystem::path& config_dir) {
    (void)config_dir;
}

ApplyReport apply_postfix(const Store& store,
                          const config::Configuration& configuration,
                          int revision,
                          const std::filesystem::path& config_dir,
                          const PostfixApplyOptions& options) {
    (void)store;
    (void)configuration;
    (void)revision;
    (void)options;
    throw Error(Errc::unsupported,
                "applying to Postfix (" + config_dir.string() + ") is not built yet");
}

void recover_postfix(const std::filesystem::path& config_dir, int committed_revision) {
    (void)config_dir;
    (void)committed_revision;
}

}  // namespace certtool::deploy
