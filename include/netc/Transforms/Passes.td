//===- Passes.td - netc passes on the netc dialect ---------*- tablegen -*-===//
#ifndef NETC_TRANSFORMS_PASSES_TD
#define NETC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NetcAutodiff : Pass<"netc-autodiff", "ModuleOp"> {
  let summary = "Derive each model's training function by reverse-mode autodiff";
  let description = [{
    For every `func.func` marked `netc.model`, adds the private function

    ```mlir
    func.func private @<m>_train(%input: tensor<?x...>, %target, %seed: i64,
                                 %params...)
        -> (tensor<f32>, <one tensor per parameter>, tensor<?x...>)
        attributes {netc.train_of = @<m>}
    ```

    returning the batch's loss (the model's `netc.loss`: cross entropy
    against `tensor<?xi32>` labels, or the squared error against a target
    shaped like the output; averaged or summed as `netc.loss_reduction`
    says), then for each parameter its gradient — or, for
    a running statistic, its updated value — and last the gradient of the
    input.

    The function runs the model's training form: `netc.batch_norm` becomes
    `netc.batch_norm_train` (batch statistics, running statistics updated)
    and `netc.dropout` becomes `netc.dropout_train` with masks drawn from
    `%seed`. The backward pass is built by walking the forward ops in reverse
    and asking each its gradient rule (DifferentiableOpInterface, see
    NetcGradients.cpp); a value used several times gets the sum of its
    gradients (`netc.add`). A parameter the loss does not reach gets a zero
    gradient.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // NETC_TRANSFORMS_PASSES_TD
