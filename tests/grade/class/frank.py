print("frank wrote Python too")
