#pragma once

#include "scenario.h"

#include <memory>
#include <vector>

namespace tl {

// Every scenario ThreadLab offers, in menu order. Adding one means adding its .cpp (the class and a
// make<Name>() factory) and naming the factory twice in registry.cpp, in menu order.
std::vector<ScenarioInfo> scenarioCatalog();
std::unique_ptr<Scenario> createScenario(const QString& name);

} // namespace tl
