print("dL/dw = ...")  # dave submitted Python: his row says why it cannot be graded
