//===- OptimizerTest.cpp - Optimizer options and derived seeds ------------===//
//
// torch.optim's defaults and argument checks with their exact messages, and
// SplitMix64 against its reference outputs.
//
//===----------------------------------------------------------------------===//

#include "netc-c/netc.h"

#include "gtest/gtest.h"

#include <cmath>
#include <string>

namespace {
/// The message netc_optimizer_options_check gives `options`, "" if it
/// passes.
std::string checkMessage(const netc_optimizer_options &options) {
  netc_status status = netc_optimizer_options_check(&options);
  if (status == NETC_OK)
    return "";
  EXPECT_EQ(status, NETC_ERROR_INVALID_ARGUMENT);
  return netc_last_error();
}

netc_optimizer_options sgd() {
  return netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
}
netc_optimizer_options adam() {
  return netc_optimizer_options_default(NETC_OPTIMIZER_ADAM);
}
} // namespace

TEST(Optimizer, DefaultsAreTorchs) {
  netc_optimizer_options o = sgd();
  EXPECT_EQ(o.kind, NETC_OPTIMIZER_SGD);
  EXPECT_EQ(o.lr, 0.01); // torch requires lr; netc's documented default
  EXPECT_EQ(o.momentum, 0);
  EXPECT_EQ(o.dampening, 0);
  EXPECT_EQ(o.weight_decay, 0);
  EXPECT_EQ(o.nesterov, 0);

  o = adam();
  EXPECT_EQ(o.kind, NETC_OPTIMIZER_ADAM);
  EXPECT_EQ(o.lr, 1e-3);
  EXPECT_EQ(o.beta1, 0.9);
  EXPECT_EQ(o.beta2, 0.999);
  EXPECT_EQ(o.eps, 1e-8);
  EXPECT_EQ(o.weight_decay, 0);

  o = netc_optimizer_options_default(NETC_OPTIMIZER_ADAMW);
  EXPECT_EQ(o.kind, NETC_OPTIMIZER_ADAMW);
  EXPECT_EQ(o.lr, 1e-3);
  EXPECT_EQ(o.weight_decay, 1e-2);

  for (auto kind :
       {NETC_OPTIMIZER_SGD, NETC_OPTIMIZER_ADAM, NETC_OPTIMIZER_ADAMW}) {
    o = netc_optimizer_options_default(kind);
    EXPECT_EQ(checkMessage(o), "") << kind;
  }
}

TEST(Optimizer, DefaultsOfAnUnknownKindAreSgdsAndFailTheCheck) {
  // The kind is an int32_t: any value is well-defined to pass (a C enum
  // parameter holding 42 or -1 was undefined behaviour).
  for (int32_t kind : {42, -1}) {
    netc_optimizer_options o = netc_optimizer_options_default(kind);
    EXPECT_EQ(o.kind, kind);
    EXPECT_EQ(o.lr, 0.01);
    EXPECT_EQ(o.weight_decay, 0);
    EXPECT_EQ(checkMessage(o),
              "Invalid optimizer kind: " + std::to_string(kind) +
                  ", expected 0 (SGD), 1 (Adam) or 2 (AdamW)");
  }
}

TEST(Optimizer, SgdChecksGiveTorchsMessages) {
  struct Case {
    void (*change)(netc_optimizer_options &);
    const char *message;
  } cases[] = {
      {[](auto &o) { o.lr = -0.1; }, "Invalid learning rate: -0.1"},
      {[](auto &o) { o.lr = NAN; }, "Invalid learning rate: nan"},
      {[](auto &o) { o.lr = INFINITY; }, "Invalid learning rate: inf"},
      {[](auto &o) { o.momentum = -1; }, "Invalid momentum value: -1"},
      {[](auto &o) { o.weight_decay = -1; }, "Invalid weight_decay value: -1"},
      {[](auto &o) { o.weight_decay = -1e-4; },
       "Invalid weight_decay value: -0.0001"},
      {[](auto &o) { o.nesterov = 1; },
       "Nesterov momentum requires a momentum and zero dampening"},
      {[](auto &o) {
         o.nesterov = 1;
         o.momentum = 0.9;
         o.dampening = 0.1;
       },
       "Nesterov momentum requires a momentum and zero dampening"},
      {[](auto &o) { o.nesterov = 2; },
       "Invalid nesterov value: 2, expected 0 or 1"},
      {[](auto &o) { o.dampening = NAN; }, "Invalid dampening value: nan"},
      {[](auto &o) { o.kind = 7; },
       "Invalid optimizer kind: 7, expected 0 (SGD), 1 (Adam) or 2 (AdamW)"},
  };
  for (const Case &c : cases) {
    netc_optimizer_options o = sgd();
    c.change(o);
    EXPECT_EQ(checkMessage(o), c.message);
  }
  // SGD ignores Adam's fields; torch accepts a negative dampening.
  netc_optimizer_options o = sgd();
  o.beta1 = 2;
  o.eps = -1;
  o.dampening = -0.5;
  o.momentum = 0.9;
  o.nesterov = 0;
  EXPECT_EQ(checkMessage(o), "");
  o.dampening = 0;
  o.nesterov = 1;
  EXPECT_EQ(checkMessage(o), "");
}

TEST(Optimizer, AdamChecksGiveTorchsMessages) {
  struct Case {
    void (*change)(netc_optimizer_options &);
    const char *message;
  } cases[] = {
      {[](auto &o) { o.lr = -1e-3; }, "Invalid learning rate: -0.001"},
      {[](auto &o) { o.eps = -1e-8; }, "Invalid epsilon value: -1e-08"},
      {[](auto &o) { o.beta1 = 1; }, "Invalid beta parameter at index 0: 1"},
      {[](auto &o) { o.beta1 = -0.5; },
       "Invalid beta parameter at index 0: -0.5"},
      {[](auto &o) { o.beta2 = 1.5; },
       "Invalid beta parameter at index 1: 1.5"},
      {[](auto &o) { o.beta2 = NAN; },
       "Invalid beta parameter at index 1: nan"},
      {[](auto &o) { o.weight_decay = -0.01; },
       "Invalid weight_decay value: -0.01"},
      // torch checks lr first, then eps, the betas, weight_decay.
      {[](auto &o) {
         o.eps = -1;
         o.beta1 = 2;
       },
       "Invalid epsilon value: -1"},
  };
  for (auto kind : {NETC_OPTIMIZER_ADAM, NETC_OPTIMIZER_ADAMW}) {
    for (const Case &c : cases) {
      netc_optimizer_options o = netc_optimizer_options_default(kind);
      c.change(o);
      EXPECT_EQ(checkMessage(o), c.message) << kind;
    }
  }
  // Adam ignores SGD's fields.
  netc_optimizer_options o = adam();
  o.momentum = -1;
  o.nesterov = 1;
  EXPECT_EQ(checkMessage(o), "");
}

TEST(Optimizer, CheckRejectsNull) {
  EXPECT_EQ(netc_optimizer_options_check(nullptr), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_optimizer_options_check: options is NULL");
}

TEST(Optimizer, MessagesPrintNumbersAsPythonDoes) {
  netc_optimizer_options o = sgd();
  for (auto [lr, text] : {std::pair{-100.0, "-100"},
                          {-1e20, "-1e+20"},
                          {-0.3, "-0.3"},
                          {-1.0 / 3, "-0.3333333333333333"},
                          {-2.5e-7, "-2.5e-07"},
                          {-123.456, "-123.456"}}) {
    o.lr = lr;
    EXPECT_EQ(checkMessage(o), std::string("Invalid learning rate: ") + text);
  }
}

TEST(Optimizer, SeedDeriveIsSplitMix64) {
  // Reference outputs of splitmix64.c (Vigna) seeded with 1234567.
  const uint64_t expected[] = {6457827717110365317ULL, 3203168211198807973ULL,
                               9817491932198370423ULL, 4593380528125082431ULL,
                               16408922859458223821ULL};
  for (uint64_t i = 0; i < 5; ++i)
    EXPECT_EQ(netc_seed_derive(1234567, i + 1), expected[i]) << i;
  EXPECT_EQ(netc_seed_derive(0, 1), 0xe220a8397b1dcdafULL);
}
