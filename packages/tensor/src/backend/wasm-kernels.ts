// Kernels that fill the wasm backend's gaps and replace its slow paths. (In progress.)
export {};
