import streamlit as st

st.title('momentum')
