namespace Distributed.Core.Data;

/// <summary>A data file that cannot be read as what it claims to be. The message is one line a user can act on.</summary>
public sealed class DataFormatException(string message, Exception? inner = null) : Exception(message, inner);
