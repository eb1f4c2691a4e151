using System.Runtime.CompilerServices;

// ILGPU's CPU accelerator runs a kernel through a task type it emits into a dynamic assembly named ILGPURuntime;
// that type holds the kernel's arguments as fields, so an internal argument struct (WindowShape) must be visible
// to it. The alternative, making every kernel argument type public, would widen the library's API for a test path.
[assembly: InternalsVisibleTo("ILGPURuntime")]
