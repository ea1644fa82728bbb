#include "connectors/secrets.h"

#include <string>

namespace canon {

Status CheckSourceSecrets(const RuleSet& rules, const std::function<const char*(const char*)>& lookup) {
  for (const auto& [name, source] : rules.sources()) {
    for (const char* option : {"secret_env", "verify_token_env", "access_token_env"}) {
      std::string var = source.Option(option);
      if (var.empty()) continue;
      const char* value = lookup(var.c_str());
      if (!value || !*value)
        return Status::Invalid("source '" + name + "' (sources.toml): environment variable " + var + " (" + option +
                               ") is not set; set it or remove the source");
    }
  }
  return Status::Ok();
}

}  // namespace canon
