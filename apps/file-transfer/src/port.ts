/** Where the file-transfer programs meet unless told otherwise (echo is 5678, timestamp 5679). */
export const FILE_TRANSFER_DEFAULT_PORT = 5681;
