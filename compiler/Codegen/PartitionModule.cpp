//===- PartitionModule.cpp - LLVM IR in parts that compile in parallel ----===//
//
// See PartitionModule.h. Unlike llvm::SplitModule, the parts keep private
// what the linked object keeps private: constants are copied into each part
// that reads them, and OpenMP's outlined bodies stay with their kernel. Only
// kernels called across parts become hidden symbols, under their names that
// already start with the model's.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/PartitionModule.h"

#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/IR/Constants.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#include <optional>

using namespace llvm;

namespace {

/// A private constant that refers to no global but such constants (OpenMP's
/// source locations refer to their strings): every part that reads it gets
/// its own copy, so it ties no functions together.
bool isCopiedIntoEachPart(const GlobalValue &value) {
  const auto *variable = dyn_cast<GlobalVariable>(&value);
  if (!variable || !variable->hasLocalLinkage() || !variable->isConstant() ||
      !variable->hasInitializer())
    return false;
  SmallPtrSet<const GlobalVariable *, 4> seen{variable};
  SmallVector<const Constant *> pending{variable->getInitializer()};
  while (!pending.empty()) {
    const Constant *constant = pending.pop_back_val();
    if (const auto *global = dyn_cast<GlobalValue>(constant)) {
      const auto *referenced = dyn_cast<GlobalVariable>(global);
      if (!referenced || !referenced->hasLocalLinkage() ||
          !referenced->isConstant() || !referenced->hasInitializer())
        return false;
      if (seen.insert(referenced).second)
        pending.push_back(referenced->getInitializer());
      continue;
    }
    for (const Use &operand : constant->operands())
      pending.push_back(cast<Constant>(operand.get()));
  }
  return true;
}

/// A local function that is only ever called directly (a netc kernel): it
/// may go to a part other than its callers', as a hidden symbol.
bool mayBeCalledAcrossParts(const GlobalValue &value) {
  const auto *function = dyn_cast<Function>(&value);
  return function && function->hasLocalLinkage() && function->hasName() &&
         !function->isDeclaration() && !function->hasAddressTaken();
}

/// The globals whose definitions use `value`: the functions of instructions
/// and the variables of initializers that read it, through constants.
SmallVector<const GlobalValue *> definitionsUsing(const GlobalValue &value) {
  SmallVector<const GlobalValue *> owners;
  SmallVector<const User *> pending(value.users());
  while (!pending.empty()) {
    const User *user = pending.pop_back_val();
    if (const auto *instruction = dyn_cast<Instruction>(user))
      owners.push_back(instruction->getFunction());
    else if (const auto *variable = dyn_cast<GlobalVariable>(user))
      owners.push_back(variable);
    else
      llvm::append_range(pending, user->users());
  }
  return owners;
}

/// Whether the module holds anything whose meaning depends on seeing the
/// whole module at once (appending arrays such as llvm.used, aliases,
/// comdats): such modules compile in one part.
bool hasModuleWideGlobals(const Module &module) {
  if (!module.alias_empty() || !module.ifunc_empty() ||
      !module.getComdatSymbolTable().empty())
    return true;
  return llvm::any_of(module.globals(), [](const GlobalVariable &variable) {
    return variable.hasAppendingLinkage();
  });
}

} // namespace

SmallVector<std::unique_ptr<Module>>
mlir::netc::partitionModule(Module &module, unsigned maxParts) {
  if (maxParts < 2 || hasModuleWideGlobals(module))
    return {};

  // Definitions that must share a part: a local global and every definition
  // that uses it, unless it is copied or may be called across parts.
  SmallVector<const GlobalValue *> definitions;
  for (const GlobalValue &value : module.global_values())
    if (!value.isDeclaration() && !isCopiedIntoEachPart(value))
      definitions.push_back(&value);
  EquivalenceClasses<const GlobalValue *> together;
  for (const GlobalValue *value : definitions) {
    together.insert(value);
    if (!value->hasLocalLinkage() || mayBeCalledAcrossParts(*value))
      continue;
    for (const GlobalValue *owner : definitionsUsing(*value))
      together.unionSets(value, owner);
  }

  // Each group's size in instructions, in module order so that the
  // partition, and the object, are the same from run to run.
  struct Group {
    const GlobalValue *leader;
    size_t size = 0;
    size_t order;
  };
  DenseMap<const GlobalValue *, size_t> groupOf;
  SmallVector<Group> groups;
  for (const GlobalValue *value : definitions) {
    const GlobalValue *leader = together.getLeaderValue(value);
    auto [it, inserted] = groupOf.try_emplace(leader, groups.size());
    if (inserted)
      groups.push_back({leader, 0, groups.size()});
    Group &group = groups[it->second];
    if (const auto *function = dyn_cast<Function>(value))
      group.size += function->getInstructionCount();
    group.size += 1;
  }
  if (groups.size() < 2)
    return {};
  unsigned partCount = std::min<size_t>(maxParts, groups.size());

  // Largest group first into the lightest part.
  SmallVector<Group *> bySize;
  for (Group &group : groups)
    bySize.push_back(&group);
  llvm::sort(bySize, [](const Group *a, const Group *b) {
    return std::make_pair(b->size, a->order) <
           std::make_pair(a->size, b->order);
  });
  SmallVector<size_t> partSize(partCount, 0);
  DenseMap<const GlobalValue *, unsigned> partOfLeader;
  for (const Group *group : bySize) {
    unsigned part =
        std::min_element(partSize.begin(), partSize.end()) - partSize.begin();
    partSize[part] += group->size;
    partOfLeader[group->leader] = part;
  }
  // Copied constants and declarations belong to no part.
  auto partOf = [&](const GlobalValue *value) -> std::optional<unsigned> {
    if (!together.contains(value))
      return std::nullopt;
    return partOfLeader.lookup(together.getLeaderValue(value));
  };

  // A kernel called from another part becomes a hidden symbol of the object.
  for (Function &function : module) {
    if (!mayBeCalledAcrossParts(function))
      continue;
    std::optional<unsigned> part = partOf(&function);
    bool calledElsewhere =
        llvm::any_of(definitionsUsing(function), [&](const GlobalValue *user) {
          return partOf(user) != part;
        });
    if (calledElsewhere) {
      function.setLinkage(GlobalValue::ExternalLinkage);
      function.setVisibility(GlobalValue::HiddenVisibility);
    }
  }

  SmallVector<std::unique_ptr<Module>> parts;
  for (unsigned part = 0; part < partCount; ++part) {
    ValueToValueMapTy mapping;
    parts.push_back(CloneModule(module, mapping, [&](const GlobalValue *value) {
      return isCopiedIntoEachPart(*value) || partOf(value) == part;
    }));
  }
  return parts;
}
