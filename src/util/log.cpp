#include "pgmigrate/util/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <mutex>
#include <vector>

#include "pgmigrate/util/live_area.hpp"
#include "pgmigrate/util/secrets.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::util {
namespace {

std::mutex g_observer_mutex;
MessageObserver g_observer;

void notify_observer(spdlog::level::level_enum level, const spdlog::details::log_msg& msg) {
    if (level < spdlog::level::warn) return;
    std::lock_guard lock(g_observer_mutex);
    if (g_observer)
        g_observer(level, mask_secrets(std::string(msg.payload.data(), msg.payload.size())));
}

// Sends formatted lines through LiveArea so they never tear the live progress block.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    explicit StderrSink(bool colour) : colour_(colour) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        std::string line = mask_secrets(fmt::to_string(formatted));
        if (colour_) line = colourise(msg.level, line);
        LiveArea::instance().print_above(line);
        notify_observer(msg.level, msg);
    }
    void flush_() override {}

  private:
    static std::string colourise(spdlog::level::level_enum level, const std::string& line) {
        const char* code = nullptr;
        switch (level) {
            case spdlog::level::err:
            case spdlog::level::critical:
                code = "\x1b[31m";
                break;
            case spdlog::level::warn:
                code = "\x1b[33m";
                break;
            case spdlog::level::debug:
            case spdlog::level::trace:
                code = "\x1b[2m";
                break;
            default:
                return line;
        }
        std::string body = line;
        bool newline = !body.empty() && body.back() == '\n';
        if (newline) body.pop_back();
        return std::string(code) + body + "\x1b[0m" + (newline ? "\n" : "");
    }
    bool colour_;
};

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text) {
    // RUST_LOG may be "level" or "target=level,..."; the last bare or targeted level wins.
    std::optional<spdlog::level::level_enum> result;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        std::string item = to_lower(trim(text.substr(start, end - start)));
        if (auto eq = item.find('='); eq != std::string::npos) item = item.substr(eq + 1);
        if (item == "error")
            result = spdlog::level::err;
        else if (item == "warn" || item == "warning")
            result = spdlog::level::warn;
        else if (item == "info")
            result = spdlog::level::info;
        else if (item == "debug")
            result = spdlog::level::debug;
        else if (item == "trace")
            result = spdlog::level::trace;
        else if (item == "off")
            result = spdlog::level::off;
        else if (!item.empty())
            return std::nullopt;
        start = end + 1;
    }
    return result;
}

void init_logging(spdlog::level::level_enum level, bool live_terminal) {
    auto sink = std::make_shared<StderrSink>(live_terminal);
    auto logger = std::make_shared<spdlog::logger>("pg-migrate", sink);
    logger->set_pattern("%Y-%m-%d %H:%M:%S %-5l %v");
    logger->set_level(level);
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    if (live_terminal) LiveArea::instance().enable();
}

void set_message_observer(MessageObserver observer) {
    std::lock_guard lock(g_observer_mutex);
    g_observer = std::move(observer);
}

}  // namespace pgmigrate::util
