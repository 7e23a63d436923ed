//===- PartitionModuleTest.cpp - netc::partitionModule
//---------------------===//
//
// The parts of a module must link back into the module: every function
// defined once, each part valid on its own, private data private.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/PartitionModule.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace llvm;
using mlir::netc::partitionModule;

namespace {

/// Two entry points calling four kernels; one kernel forks an OpenMP-style
/// body that it passes by address; two read a source location (a private
/// constant that points at a private string).
constexpr const char *kModel = R"(
@str = private unnamed_addr constant [4 x i8] c"loc\00"
@loc = private unnamed_addr constant { i32, ptr } { i32 2, ptr @str }
@table = private constant [2 x float] [float 1.0, float 2.0]

declare void @fork(ptr, ptr)

define internal void @m_kernel0(ptr %p) noinline {
  %v = load float, ptr @table
  store float %v, ptr %p
  ret void
}
define internal void @m_kernel0..omp_par(ptr %p) {
  store float 0.0, ptr %p
  ret void
}
define internal void @m_kernel1(ptr %p) noinline {
  call void @fork(ptr @loc, ptr @m_kernel0..omp_par)
  %a = fadd float 1.0, 2.0
  %b = fmul float %a, %a
  %c = fsub float %b, %a
  %d = fdiv float %c, %b
  store float %d, ptr %p
  ret void
}
define internal void @m_kernel2(ptr %p) noinline {
  %q = getelementptr float, ptr @table, i64 1
  %v = load float, ptr %q
  %w = fadd float %v, %v
  %x = fmul float %w, %v
  store float %x, ptr %p
  ret void
}
define internal void @m_kernel3(ptr %p) noinline {
  call void @fork(ptr @loc, ptr null)
  store float 3.0, ptr %p
  ret void
}
define void @m_forward(ptr %p) {
  call void @m_kernel0(ptr %p)
  call void @m_kernel1(ptr %p)
  ret void
}
define void @m_gradients(ptr %p) {
  call void @m_kernel0(ptr %p)
  call void @m_kernel2(ptr %p)
  call void @m_kernel3(ptr %p)
  ret void
}
)";

std::unique_ptr<Module> parse(StringRef text, LLVMContext &context) {
  SMDiagnostic diagnostic;
  std::unique_ptr<Module> module =
      parseAssemblyString(text, diagnostic, context);
  if (!module)
    diagnostic.print("PartitionModuleTest", errs());
  return module;
}

/// The part that defines `name`, or -1; fails the test if several do.
int definingPart(ArrayRef<std::unique_ptr<Module>> parts, StringRef name) {
  int found = -1;
  for (auto [index, part] : llvm::enumerate(parts)) {
    const GlobalValue *value = part->getNamedValue(name);
    if (!value || value->isDeclaration())
      continue;
    EXPECT_EQ(found, -1) << name.str() << " is defined in two parts";
    found = index;
  }
  return found;
}

/// kModel's parts when split into `count`, checking that there are `count`
/// and that each is a valid module on its own.
SmallVector<std::unique_ptr<Module>> partsOfModel(Module &module,
                                                  unsigned count) {
  SmallVector<std::unique_ptr<Module>> parts = partitionModule(module, count);
  EXPECT_EQ(parts.size(), count);
  for (const std::unique_ptr<Module> &part : parts)
    EXPECT_FALSE(verifyModule(*part, &errs()));
  return parts;
}

std::string print(const Module &module) {
  std::string text;
  raw_string_ostream os(text);
  module.print(os, nullptr);
  return text;
}

/// Each test starts from kModel, parsed.
class PartitionModule : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_TRUE(module); }

  LLVMContext context;
  std::unique_ptr<Module> module = parse(kModel, context);
};

TEST_F(PartitionModule, PartsLinkBackIntoTheModule) {
  SmallVector<std::unique_ptr<Module>> parts = partsOfModel(*module, 2);
  ASSERT_EQ(parts.size(), 2u);

  // Every function of the module is defined in exactly one part.
  SmallVector<int> used(parts.size(), 0);
  for (const Function &function : *module) {
    if (function.isDeclaration())
      continue;
    int part = definingPart(parts, function.getName());
    ASSERT_NE(part, -1) << function.getName().str() << " is lost";
    ++used[part];
  }
  EXPECT_GT(used[0], 0);
  EXPECT_GT(used[1], 0);

  // The body passed by address stays with its kernel, and stays local.
  int kernel1 = definingPart(parts, "m_kernel1");
  EXPECT_EQ(definingPart(parts, "m_kernel0..omp_par"), kernel1);
  EXPECT_TRUE(
      parts[kernel1]->getFunction("m_kernel0..omp_par")->hasLocalLinkage());

  // Private constants are copied into each part that reads them, private.
  for (StringRef name : {"loc", "str"}) {
    const GlobalVariable *copy = parts[kernel1]->getNamedGlobal(name);
    ASSERT_TRUE(copy && !copy->isDeclaration()) << name.str();
    EXPECT_TRUE(copy->hasPrivateLinkage()) << name.str();
  }
  for (const std::unique_ptr<Module> &part : parts) {
    const GlobalVariable *table = part->getNamedGlobal("table");
    bool read = false;
    for (StringRef kernel : {"m_kernel0", "m_kernel2"})
      if (const Function *f = part->getFunction(kernel))
        read |= !f->isDeclaration();
    if (read) {
      ASSERT_TRUE(table && !table->isDeclaration());
      EXPECT_TRUE(table->hasPrivateLinkage());
    }
  }

  // A kernel called from another part is a hidden symbol; one called only
  // from its own part stays internal.
  for (StringRef name : {"m_kernel0", "m_kernel1", "m_kernel2", "m_kernel3"}) {
    int part = definingPart(parts, name);
    const Function *original = module->getFunction(name);
    bool calledElsewhere = false;
    for (const User *user : original->users()) {
      StringRef caller = cast<CallBase>(user)->getFunction()->getName();
      calledElsewhere |= definingPart(parts, caller) != part;
    }
    const Function *definition = parts[part]->getFunction(name);
    if (calledElsewhere) {
      EXPECT_TRUE(definition->hasExternalLinkage()) << name.str();
      EXPECT_TRUE(definition->hasHiddenVisibility()) << name.str();
    } else {
      EXPECT_TRUE(definition->hasLocalLinkage()) << name.str();
    }
  }
}

TEST_F(PartitionModule, SharedConstantsTieNoFunctionsTogether) {
  // Six groups (the body passed by address joins its kernel), six parts.
  SmallVector<std::unique_ptr<Module>> parts = partsOfModel(*module, 6);
  ASSERT_EQ(parts.size(), 6u);
  int kernel1 = definingPart(parts, "m_kernel1");
  int kernel3 = definingPart(parts, "m_kernel3");
  EXPECT_NE(kernel1, kernel3);
  for (int part : {kernel1, kernel3}) {
    for (StringRef name : {"loc", "str"}) {
      const GlobalVariable *copy = parts[part]->getNamedGlobal(name);
      ASSERT_TRUE(copy && !copy->isDeclaration()) << name.str();
      EXPECT_TRUE(copy->hasPrivateLinkage()) << name.str();
    }
  }
}

TEST_F(PartitionModule, SameModuleSameParts) {
  std::unique_ptr<Module> second = parse(kModel, context);
  ASSERT_TRUE(second);
  SmallVector<std::unique_ptr<Module>> a = partsOfModel(*module, 3);
  SmallVector<std::unique_ptr<Module>> b = partsOfModel(*second, 3);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(print(*a[i]), print(*b[i]));
}

TEST_F(PartitionModule, ModuleWideGlobalsKeepTheModuleWhole) {
  std::string text = std::string(kModel) +
                     "@llvm.used = appending global [1 x ptr] [ptr "
                     "@m_kernel3], section \"llvm.metadata\"\n";
  std::unique_ptr<Module> used = parse(text, context);
  ASSERT_TRUE(used);
  EXPECT_TRUE(partitionModule(*used, 2).empty());
}

TEST_F(PartitionModule, OnePartOrOneGroupIsNoSplit) {
  EXPECT_TRUE(partitionModule(*module, 1).empty());
  std::unique_ptr<Module> single = parse(R"(
define void @only(ptr %p) {
  store float 1.0, ptr %p
  ret void
}
)",
                                         context);
  ASSERT_TRUE(single);
  EXPECT_TRUE(partitionModule(*single, 4).empty());
}

} // namespace
