//===- NetcDialect.td - The netc dialect -------------------*- tablegen -*-===//
//
// The dialect netc imports model files into: one op per torch.nn layer kind,
// on ranked f32 tensors in PyTorch's (N, C, spatial...) layout with the batch
// dimension left dynamic.
//
//===----------------------------------------------------------------------===//

#ifndef NETC_DIALECT_NETCDIALECT_TD
#define NETC_DIALECT_NETCDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Netc_Dialect : Dialect {
  let name = "netc";
  let cppNamespace = "::mlir::netc";
  let summary = "Convolutional-network layers as PyTorch defines them";
  let description = [{
    The `netc` dialect holds a model as the JSON frontend imported it: one op
    per layer, with torch.nn's names and attribute semantics, on ranked `f32`
    tensors laid out as PyTorch lays them out (`N, C, D?, H?, W`). The batch
    dimension is dynamic (`?`); every other dimension is static and checked by
    the op verifiers with the same shape rules the frontend reports errors from.

    A model is a `func.func` carrying the `netc.model` unit attribute. Its first
    argument is the input batch, the others are parameters whose
    `netc.param` argument attribute holds their PyTorch `state_dict` name:

    ```mlir
    func.func @mnist_net(%x: tensor<?x1x28x28xf32>,
                         %w: tensor<10x1x5x5xf32> {netc.param = "conv1.weight"},
                         %b: tensor<10xf32> {netc.param = "conv1.bias"})
        -> tensor<?x10x24x24xf32> attributes {netc.model} {
      %y = netc.conv %x, %w, %b {...} : ...
      return %y : tensor<?x10x24x24xf32>
    }
    ```
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Netc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Netc_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Netc_PaddingMode : I32EnumAttr<"PaddingMode",
    "how a convolution fills the padded border", [
      I32EnumAttrCase<"zeros", 0>,
      I32EnumAttrCase<"constant", 1>,
      I32EnumAttrCase<"reflect", 2>,
      I32EnumAttrCase<"replicate", 3>,
      I32EnumAttrCase<"circular", 4>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::netc";
}
def Netc_PaddingModeAttr : EnumAttr<Netc_Dialect, Netc_PaddingMode,
                                    "padding_mode">;

def Netc_PoolKind : I32EnumAttr<"PoolKind", "the reduction a pooling op takes", [
      I32EnumAttrCase<"max", 0>,
      I32EnumAttrCase<"min", 1>,
      I32EnumAttrCase<"avg", 2>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::netc";
}
def Netc_PoolKindAttr : EnumAttr<Netc_Dialect, Netc_PoolKind, "pool_kind">;

#endif // NETC_DIALECT_NETCDIALECT_TD
