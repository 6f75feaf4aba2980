#pragma once

#include "scenario.h"

#include <memory>
#include <vector>

namespace tl {

// Every scenario ThreadLab offers, in menu order. Adding one means adding its files and one line here.
std::vector<ScenarioInfo> scenarioCatalog();
std::unique_ptr<Scenario> createScenario(const QString& name);

} // namespace tl
